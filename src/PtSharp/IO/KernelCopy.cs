using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PtSharp.IO;

/// <summary>
/// Copies a byte range from one open file to another inside the kernel with Linux <c>copy_file_range(2)</c>: the
/// bytes go page cache to page cache (or share extents, on file systems that reflink) without passing through
/// user space. Hand-written because .NET exposes the call only inside <c>File.Copy</c>, which copies whole files;
/// a .pt rewrite copies ranges of the source into the middle of a zip it is writing.
/// </summary>
internal static partial class KernelCopy
{
    private const int EINTR = 4, EBADF = 9, EINVAL = 22, EXDEV = 18, ENOSYS = 38, EOPNOTSUPP = 95, EPERM = 1;
    private const int LOCK_UN = 8;
    private const long MaxPerCall = 1L << 30;

    /// <summary>
    /// False once a call found the kernel or the file systems cannot do it; the writer then copies itself.
    /// </summary>
    private static volatile bool s_unsupported;

    private static readonly AsyncLocal<bool> s_disabled = new();
    private static readonly AsyncLocal<StrongBox<long>?> s_copied = new();

    /// <summary>
    /// Tests set this to force the mapped-copy fallback, so both paths can be compared byte for byte. Scoped to the
    /// calling flow (an <see cref="AsyncLocal{T}"/>), so tests running in parallel are not affected.
    /// </summary>
    internal static bool Disabled { get => s_disabled.Value; set => s_disabled.Value = value; }

    /// <summary>When set (by tests, for the calling flow), receives the number of bytes the kernel copied.</summary>
    internal static StrongBox<long>? Copied { get => s_copied.Value; set => s_copied.Value = value; }

    /// <summary>True on Linux unless disabled (<see cref="Disabled"/>, or a call showed the kernel lacks it).</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && !Disabled && !s_unsupported;

    /// <summary>
    /// Copies up to <paramref name="length"/> bytes from <paramref name="source"/> at <paramref name="sourceOffset"/>
    /// to <paramref name="destination"/> at <paramref name="destinationOffset"/>. Neither file position moves.
    /// </summary>
    /// <returns>
    /// The bytes copied: <paramref name="length"/>, or fewer when the kernel cannot copy between these files (the
    /// caller copies the rest itself) or the source ends early (<paramref name="sourceEnded"/>).
    /// </returns>
    /// <exception cref="IOException">The copy failed (disk full, I/O error).</exception>
    public static unsafe long Copy(SafeFileHandle source, long sourceOffset, SafeFileHandle destination,
        long destinationOffset, long length, out bool sourceEnded)
    {
        sourceEnded = false;
        if (!IsAvailable) return 0;
        long done = 0;
        bool addedIn = false, addedOut = false;
        try
        {
            source.DangerousAddRef(ref addedIn);
            destination.DangerousAddRef(ref addedOut);
            int fdIn = (int)source.DangerousGetHandle(), fdOut = (int)destination.DangerousGetHandle();
            while (done < length)
            {
                long offIn = sourceOffset + done, offOut = destinationOffset + done;
                nint n = copy_file_range(fdIn, &offIn, fdOut, &offOut, (nuint)Math.Min(MaxPerCall, length - done), 0);
                if (n > 0)
                {
                    done += n;
                    if (Copied is { } counter) counter.Value += n;
                    continue;
                }
                if (n == 0) { sourceEnded = true; return done; } // end of the source file: it is shorter than planned
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                // No such call (old kernels, seccomp), files on two file systems the kernel will not copy between,
                // or a file (system) that does not support it: copy the rest in user space, and stop trying.
                if (errno is ENOSYS or EPERM) s_unsupported = true;
                if (errno is ENOSYS or EPERM or EXDEV or EINVAL or EOPNOTSUPP or EBADF) return done;
                throw new IOException(
                    $"copying {length} bytes in the kernel failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return done;
        }
        finally
        {
            if (addedIn) source.DangerousRelease();
            if (addedOut) destination.DangerousRelease();
        }
    }

    /// <summary>Drops the advisory <c>flock</c> .NET takes on open (see <see cref="MappedFile"/>).</summary>
    public static bool Unlock(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return flock((int)handle.DangerousGetHandle(), LOCK_UN) == 0;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nuint length,
        uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);
}
