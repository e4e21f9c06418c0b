using System.Runtime.InteropServices;

namespace PtSharp.Cli.Options;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into a cancelled <see cref="Token"/> for the duration of a long command
/// (<c>pt convert</c>), so the write stops between chunks, deletes its temporary file and the command exits with
/// <see cref="ExitCodes.Interrupted"/> (130, as shells report a SIGINT) instead of dying with the file half-written.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    private Interruption()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // keep the process alive until the write has cleaned up
                _source.Cancel();
            }));
    }

    /// <summary>Starts listening for SIGINT and SIGTERM.</summary>
    public static Interruption Listen() => new();

    /// <summary>Cancelled when a signal arrived.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Stops listening: a further signal ends the process the default way.</summary>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _source.Dispose();
    }
}
