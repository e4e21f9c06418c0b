using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PtSharp.Tests.Support;

/// <summary>
/// Debian's headless chromium driven over the DevTools protocol (a WebSocket; no Playwright, no downloaded
/// browser). One browser process with a fresh profile, networking disabled (offline emulation, a dead proxy and a
/// resolver that resolves nothing), one page. Records every network request, console message and uncaught
/// exception of the page so tests can assert there are none.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly object _eventsLock = new();
    private string _session = "";
    private int _nextId;
    private TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>URLs the page requested since the last <see cref="Load"/>.</summary>
    public List<string> Requests { get; } = [];

    /// <summary>
    /// Console errors/warnings, uncaught exceptions and log errors since the last <see cref="Load"/>.
    /// </summary>
    public List<string> Problems { get; } = [];

    public static bool IsInstalled => File.Exists(Executable);

    private HeadlessChromium(Process process, DirectoryInfo profile, Uri endpoint)
    {
        _process = process;
        _profile = profile;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        _socket.ConnectAsync(endpoint, CancellationToken.None).Wait(TimeSpan.FromSeconds(20));
        _reader = Task.Run(ReadLoop);
    }

    /// <summary>Starts the browser and opens one page with networking disabled and event recording on.</summary>
    public static HeadlessChromium Start(int width = 1400, int height = 1000)
    {
        var profile = Directory.CreateTempSubdirectory("ptsharp-chromium-");
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
                     "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                     "--remote-debugging-port=0", "--user-data-dir=" + profile.FullName,
                     $"--window-size={width},{height}", "about:blank",
                 })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string portFile = Path.Combine(profile.FullName, "DevToolsActivePort");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string[]? lines = null;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(portFile) && File.ReadAllLines(portFile) is { Length: >= 2 } l) { lines = l; break; }
            if (process.HasExited) break;
            Thread.Sleep(50);
        }
        if (lines is null)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("chromium did not write DevToolsActivePort within 30 s");
        }
        var browser = new HeadlessChromium(process, profile,
            new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"));
        browser.OpenPage(width, height);
        return browser;
    }

    private void OpenPage(int width, int height)
    {
        var target = Send("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, browserLevel: true);
        var attached = Send("Target.attachToTarget",
            new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true },
                browserLevel: true);
        _session = attached["sessionId"]!.GetValue<string>();
        Send("Page.enable");
        Send("Runtime.enable");
        Send("Log.enable");
        Send("Network.enable");
        Send("Network.emulateNetworkConditions", new JsonObject
        {
            ["offline"] = true, ["latency"] = 0, ["downloadThroughput"] = 0, ["uploadThroughput"] = 0,
        });
        Send("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false,
        });
    }

    /// <summary>
    /// Navigates to <paramref name="path"/> and waits until the load event has fired and
    /// <c>document.body</c> carries <c>data-ready</c>; returns the wall-clock milliseconds from navigation to ready.
    /// </summary>
    public double Load(string path, TimeSpan? timeout = null)
    {
        lock (_eventsLock)
        {
            Requests.Clear();
            Problems.Clear();
            _loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var clock = Stopwatch.StartNew();
        Send("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(path)).AbsoluteUri });
        if (!_loaded.Task.Wait(limit)) throw new TimeoutException($"{path}: no load event within {limit}");
        while (Evaluate("document.body && document.body.getAttribute('data-ready')")?.GetValue<string>() != "1")
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"{path}: page not ready within {limit}");
            Thread.Sleep(10);
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// Evaluates a JavaScript expression in the page and returns its value (JSON), or null for undefined.
    /// </summary>
    public JsonNode? Evaluate(string expression)
    {
        var result = Send("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true,
        });
        if (result["exceptionDetails"] is { } ex) throw new InvalidOperationException("page script failed: "
            + ex.ToJsonString());
        return result["result"]!["value"]?.DeepClone();
    }

    /// <summary>A PNG of the viewport (or of the whole page, <paramref name="fullPage"/>).</summary>
    public byte[] Screenshot(bool fullPage = false)
    {
        var args = new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = fullPage };
        return Convert.FromBase64String(Send("Page.captureScreenshot", args)["data"]!.GetValue<string>());
    }

    private JsonObject Send(string method, JsonObject? parameters = null, bool browserLevel = false)
    {
        int id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (!browserLevel) message["sessionId"] = _session;
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        _sendLock.Wait();
        try
        {
            _socket.SendAsync(bytes, WebSocketMessageType.Text, true,
                CancellationToken.None).Wait(TimeSpan.FromSeconds(30));
        }
        finally
        {
            _sendLock.Release();
        }
        if (!tcs.Task.Wait(TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"DevTools {method}: no answer in 60 s");
        var answer = tcs.Task.Result;
        if (answer["error"] is { } error)
            throw new InvalidOperationException($"DevTools {method}: {error.ToJsonString()}");
        return answer["result"]?.AsObject() ?? new JsonObject();
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var tcs)) tcs.TrySetResult(node);
                else if (node["method"] is { } m) OnEvent(m.GetValue<string>(), node["params"]?.AsObject());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
        foreach (var p in _pending.Values)
            p.TrySetException(new InvalidOperationException("DevTools connection closed"));
    }

    private void OnEvent(string method, JsonObject? p)
    {
        lock (_eventsLock)
        {
            switch (method)
            {
                case "Page.loadEventFired":
                    _loaded.TrySetResult();
                    break;
                case "Network.requestWillBeSent":
                    Requests.Add(p?["request"]?["url"]?.GetValue<string>() ?? "?");
                    break;
                case "Runtime.consoleAPICalled" when Text(p?["type"]) is "error" or "warning" or "assert":
                    Problems.Add("console: " + p!["args"]?.ToJsonString());
                    break;
                case "Runtime.exceptionThrown":
                    Problems.Add("exception: " + p?["exceptionDetails"]?.ToJsonString());
                    break;
                case "Log.entryAdded" when Text(p?["entry"]?["level"]) is "error" or "warning":
                    Problems.Add("log: " + Text(p!["entry"]!["text"]) + " " + Text(p["entry"]!["url"]));
                    break;
            }
        }
    }

    private static string? Text(JsonNode? node) => node?.GetValue<string>();

    public void Dispose()
    {
        try
        {
            // Fire and forget: the browser may exit before it answers.
            var close = Encoding.UTF8.GetBytes("{\"id\":999999,\"method\":\"Browser.close\"}");
            if (_socket.State == WebSocketState.Open)
                _socket.SendAsync(close, WebSocketMessageType.Text, true,
                    CancellationToken.None).Wait(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is WebSocketException or AggregateException or ObjectDisposedException)
        {
        }
        _stop.Cancel();
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _socket.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
