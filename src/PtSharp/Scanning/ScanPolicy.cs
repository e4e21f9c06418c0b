using PtSharp.Torch;

namespace PtSharp.Scanning;

/// <summary>One entry of the scanner's denylist.</summary>
/// <param name="Pattern">A module (matching the module and every submodule, e.g. <c>os</c> matches <c>os.path</c>) or an exact <c>module.name</c>.</param>
/// <param name="IsModule">True when <paramref name="Pattern"/> is a module prefix; false for one exact global.</param>
/// <param name="Category">The kind of capability: code execution, process, file, network, import, attribute resolution, nested loader, debugger.</param>
/// <param name="Reason">Why a pickle must not reach it.</param>
public sealed record DenylistEntry(string Pattern, bool IsModule, string Category, string Reason);

/// <summary>
/// Verdicts on pickle globals, allowlist first: a global is <see cref="GlobalVerdict.Safe"/> when torch's
/// <c>weights_only</c> unpickler admits it (<see cref="WeightsOnlyAllowlist"/>), when it is a numpy array or scalar
/// reconstructor, or when the caller allowed it; <see cref="GlobalVerdict.Dangerous"/> when it is on the denylist
/// (matched by module prefix, including private aliases such as <c>_operator</c>, <c>posix</c> and <c>nt</c>);
/// <see cref="GlobalVerdict.Unknown"/> otherwise. Denylisted globals cannot be allowed by the caller.
/// </summary>
public static class ScanPolicy
{
    private const string Exec = "code execution";
    private const string Proc = "process";
    private const string File = "file system";
    private const string Net = "network";
    private const string Import = "import machinery";
    private const string Attr = "attribute resolution";
    private const string Loader = "nested loader";
    private const string Debug = "debugger or profiler";
    private const string Native = "native code";

    /// <summary>The numpy reconstructors pickles of arrays, dtypes and scalars use (numpy 1.x and 2.x spellings).</summary>
    public static IReadOnlySet<string> NumpyReconstructors { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
        "numpy.ndarray", "numpy.dtype",
    };

    /// <summary>The denylist, each entry with its reason. Modules match themselves and their submodules.</summary>
    public static IReadOnlyList<DenylistEntry> Denylist { get; } =
    [
        // Code execution from text or code objects.
        M("builtins.eval", Exec, "evaluates a Python expression given as text"),
        M("builtins.exec", Exec, "executes Python statements given as text"),
        M("builtins.execfile", Exec, "Python 2: executes a file"),
        M("builtins.compile", Exec, "compiles text into a code object that another call can run"),
        M("builtins.apply", Exec, "Python 2: calls any callable with arguments"),
        M("builtins.input", Exec, "Python 2 input() evaluates what it reads"),
        M("builtins.open", File, "opens any file for reading or writing"),
        M("builtins.file", File, "Python 2: opens any file"),
        M("builtins.__import__", Import, "imports any module by name"),
        M("builtins.reload", Import, "re-executes a module's code"),
        M("builtins.getattr", Attr, "reads any attribute: reaches os.system from any imported module"),
        M("builtins.setattr", Attr, "overwrites attributes of modules and classes"),
        M("builtins.delattr", Attr, "removes attributes of modules and classes"),
        M("builtins.globals", Attr, "exposes the module namespace"),
        M("builtins.locals", Attr, "exposes a namespace"),
        M("builtins.vars", Attr, "exposes any object's namespace"),
        M("builtins.breakpoint", Debug, "starts a debugger, which executes commands"),
        M("builtins.help", Debug, "starts the interactive help system (pager subprocess)"),
        P("runpy", Exec, "runs modules and scripts"),
        P("code", Exec, "interactive interpreter: runs source text"),
        P("codeop", Exec, "compiles source text"),
        P("timeit", Exec, "timeit() executes the statement text it is given"),
        M("types.FunctionType", Exec, "builds a function from a code object"),
        M("types.LambdaType", Exec, "builds a function from a code object"),
        M("types.CodeType", Exec, "builds a code object from bytes"),
        M("types.MethodType", Exec, "binds callables to objects"),
        P("marshal", Exec, "loads code objects from bytes"),
        P("new", Exec, "Python 2: builds functions and code objects"),
        P("pydoc", Exec, "locate() imports by name; pipepager() runs a shell command"),
        P("doctest", Exec, "runs the source of doctests"),
        P("logging.config", Exec, "configuration parsing evaluates text and listen() accepts code over a socket"),
        P("numpy.testing._private.utils", Exec, "runstring() executes text"),
        P("numpy.f2py", Native, "compiles and loads native extensions"),
        P("numpy.distutils", Native, "compiles and runs build steps"),
        P("numpy.ctypeslib", Native, "loads native libraries"),
        P("torch.fx.graph_module", Exec, "reduce_graph_module executes the Python source stored in the pickle"),
        P("torch.utils.cpp_extension", Native, "compiles and loads C++ code"),
        P("torch.hub", Exec, "downloads and runs hubconf.py code"),
        P("torch.package", Exec, "PackageImporter executes the modules packed in the archive"),
        P("torch._dynamo", Exec, "compiles and runs Python bytecode"),
        P("torch._inductor", Native, "generates, compiles and loads code"),
        P("torch.distributed.rpc", Net, "remote procedure calls"),
        P("ctypes", Native, "calls any native function"),
        P("_ctypes", Native, "private alias of ctypes"),
        P("cffi", Native, "loads native libraries"),
        P("sqlite3", Native, "load_extension() loads native code; writes files"),
        P("_sqlite3", Native, "private alias of sqlite3"),
        P("pip", Exec, "installs and runs packages (pip.main)"),
        P("setuptools", Exec, "runs build scripts"),
        P("distutils", Exec, "runs build scripts"),
        P("ensurepip", Exec, "installs packages"),
        P("venv", Exec, "creates environments and runs pip"),
        P("site", Import, "executes .pth files and changes the import path"),
        // Processes and the operating system.
        P("os", Proc, "system(), exec*(), spawn*(), popen(), file and environment access"),
        P("posix", Proc, "private alias of os on Unix"),
        P("nt", Proc, "private alias of os on Windows"),
        P("sys", Import, "sys.modules, settrace, exit: changes the interpreter"),
        P("subprocess", Proc, "runs processes"),
        P("_posixsubprocess", Proc, "private process spawning of subprocess"),
        P("commands", Proc, "Python 2: runs shell commands (mapped to subprocess)"),
        P("popen2", Proc, "Python 2: runs processes"),
        P("pty", Proc, "spawn() runs a process on a pseudo-terminal"),
        P("platform", Proc, "popen() in older Pythons; runs helper processes"),
        P("multiprocessing", Proc, "starts processes and unpickles from them"),
        P("concurrent", Proc, "process pools"),
        P("asyncio", Proc, "create_subprocess_shell and network servers"),
        P("signal", Proc, "installs signal handlers"),
        P("_thread", Proc, "starts threads running any callable"),
        P("thread", Proc, "Python 2: starts threads"),
        P("threading", Proc, "starts threads; settrace"),
        P("_winapi", Proc, "Windows process API"),
        P("winreg", Proc, "Windows registry"),
        P("_winreg", Proc, "Python 2: Windows registry"),
        // Files.
        P("shutil", File, "copies, moves and deletes files and trees"),
        P("io", File, "io.open and FileIO open any file"),
        P("_io", File, "private alias of io"),
        P("pathlib", File, "Path objects read, write and delete files"),
        P("tempfile", File, "creates files"),
        P("fileinput", File, "reads files"),
        P("linecache", File, "reads files"),
        P("glob", File, "lists the file system"),
        P("mmap", File, "maps files"),
        P("zipfile", File, "extracts archives onto the file system"),
        P("tarfile", File, "extracts archives onto the file system"),
        P("shelve", Loader, "opens a database of pickles"),
        P("dbm", File, "opens database files"),
        P("codecs", File, "codecs.open opens files (the private _codecs.encode is allowlisted)"),
        // Network.
        P("socket", Net, "opens connections"),
        P("_socket", Net, "private alias of socket"),
        P("ssl", Net, "opens connections"),
        P("socketserver", Net, "runs servers"),
        P("SocketServer", Net, "Python 2: runs servers"),
        P("http", Net, "HTTP clients and servers"),
        P("httplib", Net, "Python 2: HTTP client"),
        P("urllib", Net, "fetches URLs"),
        P("urllib2", Net, "Python 2: fetches URLs"),
        P("urllib3", Net, "fetches URLs"),
        P("requests", Net, "fetches URLs"),
        P("aiohttp", Net, "fetches URLs"),
        P("httpx", Net, "fetches URLs"),
        P("ftplib", Net, "FTP client"),
        P("smtplib", Net, "sends mail"),
        P("telnetlib", Net, "Telnet client"),
        P("poplib", Net, "mail client"),
        P("imaplib", Net, "mail client"),
        P("nntplib", Net, "news client"),
        P("xmlrpc", Net, "remote procedure calls"),
        P("xmlrpclib", Net, "Python 2: remote procedure calls"),
        P("webbrowser", Proc, "opens URLs by starting a browser process"),
        // Import machinery.
        P("importlib", Import, "imports any module and executes its code"),
        P("imp", Import, "imports any module"),
        P("_imp", Import, "private import machinery"),
        P("pkgutil", Import, "resolve_name() imports and resolves any dotted name"),
        P("zipimport", Import, "imports code from archives"),
        P("_frozen_importlib", Import, "private import machinery"),
        P("_frozen_importlib_external", Import, "private import machinery"),
        P("modulefinder", Import, "runs module code analysis"),
        // Attribute resolution and call composition.
        P("operator", Attr, "attrgetter and methodcaller resolve and call attributes by name"),
        P("_operator", Attr, "private alias of operator"),
        P("inspect", Attr, "reaches frames, globals and source"),
        P("gc", Attr, "get_objects and get_referrers reach every live object"),
        // Nested pickle loaders.
        P("pickle", Loader, "loads another pickle (pickle.loads on bytes in this file)"),
        P("_pickle", Loader, "private alias of pickle"),
        P("cPickle", Loader, "Python 2: loads another pickle"),
        P("pickletools", Loader, "pickle internals"),
        P("dill", Loader, "loads pickles with code objects"),
        P("cloudpickle", Loader, "loads pickles with code objects"),
        P("joblib", Loader, "loads pickles"),
        P("jsonpickle", Loader, "loads pickles from JSON"),
        P("yaml", Loader, "yaml.load/unsafe_load builds arbitrary objects"),
        P("pandas.io.pickle", Loader, "read_pickle loads a pickle"),
        M("pandas.read_pickle", Loader, "loads a pickle"),
        M("numpy.load", Loader, "loads .npy object arrays (pickles) when allow_pickle is set"),
        M("numpy.lib.npyio.load", Loader, "loads .npy object arrays (pickles)"),
        M("numpy.loads", Loader, "Python 2 era numpy: pickle.loads"),
        M("numpy.core.multiarray.loads", Loader, "pickle.loads"),
        M("torch.load", Loader, "loads another (unchecked) .pt file"),
        P("torch.serialization", Loader, "load, _load and _legacy_load unpickle without restriction (_get_layout is allowlisted)"),
        M("torch.jit.load", Loader, "loads a TorchScript archive and runs its code"),
        M("torch._C.import_ir_module", Loader, "loads a TorchScript archive"),
        M("torch._C._load_for_lite_interpreter", Loader, "loads a mobile archive"),
        // Debuggers and profilers.
        P("pdb", Debug, "the debugger executes commands"),
        P("bdb", Debug, "debugger framework: runs code under trace"),
        P("trace", Debug, "runs code under trace"),
        P("profile", Debug, "profile.run executes text"),
        P("cProfile", Debug, "cProfile.run executes text"),
        P("_lsprof", Debug, "private profiler"),
        P("faulthandler", Debug, "writes to file descriptors"),
        P("idlelib", Debug, "IDE: runs code"),
        P("IPython", Debug, "interactive shell: runs code"),
        P("cgitb", Debug, "writes tracebacks to files"),
        P("tkinter", Proc, "starts a GUI and Tcl interpreter (Tcl eval)"),
        P("Tkinter", Proc, "Python 2: Tcl interpreter"),
        P("_tkinter", Proc, "Tcl interpreter"),
    ];

    private static readonly Dictionary<string, DenylistEntry> ModuleEntries =
        Denylist.Where(e => e.IsModule).ToDictionary(e => e.Pattern, StringComparer.Ordinal);
    private static readonly Dictionary<string, DenylistEntry> ExactEntries =
        Denylist.Where(e => !e.IsModule).ToDictionary(e => e.Pattern, StringComparer.Ordinal);
    private static readonly HashSet<string> BenignDunders = new(StringComparer.Ordinal) { "copyreg.__newobj__", "copyreg.__newobj_ex__" };

    private static DenylistEntry P(string module, string category, string reason) => new(module, true, category, reason);
    private static DenylistEntry M(string global, string category, string reason) => new(global, false, category, reason);

    /// <summary>Gives the verdict on <paramref name="module"/>.<paramref name="name"/>.</summary>
    /// <param name="module">The module as the pickle names it (Python 2 names are normalised first).</param>
    /// <param name="name">The name inside the module (may be dotted).</param>
    /// <param name="allowed">Extra globals (<c>module.name</c>) to treat as safe; they cannot override the denylist.</param>
    /// <returns>The verdict and, for dangerous globals, the reason.</returns>
    public static (GlobalVerdict Verdict, string? Reason) Classify(string module, string name, IReadOnlySet<string>? allowed = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        (module, name) = PythonNames.Normalize(module, name);
        int lastDot = name.LastIndexOf('.');
        bool safe = lastDot < 0 ? IsSafe(module, name) : IsSafe(module + "." + name[..lastDot], name[(lastDot + 1)..]);
        if (safe) return (GlobalVerdict.Safe, null);
        if (Denied(module, name) is { } entry) return (GlobalVerdict.Dangerous, $"{entry.Category}: {entry.Reason}");
        if (lastDot >= 0)
        {
            // A dotted name is an attribute path: torch + 'serialization.os.system' is os.system.
            foreach (var part in name.Split('.'))
                if (IsDunder(part)) return (GlobalVerdict.Dangerous, $"{Attr}: the dotted name reaches the interpreter internal '{part}'");
            var path = (module + "." + name).Split('.');
            for (int i = 1; i < path.Length - 1; i++)
                if (Denied(string.Join('.', path[i..^1]), path[^1]) is { } inner)
                    return (GlobalVerdict.Dangerous, $"{Attr}: the dotted name reaches {string.Join('.', path[i..])} ({inner.Category}: {inner.Reason})");
        }
        else if (IsDunder(name) && !BenignDunders.Contains(module + "." + name))
        {
            return (GlobalVerdict.Dangerous, $"{Attr}: '{name}' is an interpreter internal (globals, builtins, subclasses)");
        }
        if (allowed is not null && allowed.Contains(module + "." + name)) return (GlobalVerdict.Safe, null);
        return (GlobalVerdict.Unknown, null);
    }

    /// <summary>True when torch's weights-only allowlist admits the global or it is a numpy reconstructor.</summary>
    /// <param name="module">Normalised module.</param>
    /// <param name="name">Name.</param>
    public static bool IsSafe(string module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        if (WeightsOnlyAllowlist.BlockedModules.Contains(module)) return false;
        if (WeightsOnlyAllowlist.IsAllowedByDefault(module, name)) return true;
        string full = module + "." + name;
        if (NumpyReconstructors.Contains(full)) return true;
        // numpy 2 pickles dtype classes from numpy.dtypes (Float64DType, ...).
        return module == "numpy.dtypes" && name.EndsWith("DType", StringComparison.Ordinal) && !name.Contains('.', StringComparison.Ordinal);
    }

    private static DenylistEntry? Denied(string module, string name)
    {
        string full = module + "." + name;
        if (ExactEntries.TryGetValue(full, out var exact)) return exact;
        // Module prefix over the whole path: 'os' matches os.system and os.path.join (never osx); GLOBAL 'torch'
        // 'hub' is the torch.hub module itself.
        string m = full;
        while (true)
        {
            if (ModuleEntries.TryGetValue(m, out var e)) return e;
            int dot = m.LastIndexOf('.');
            if (dot < 0) return null;
            m = m[..dot];
        }
    }

    private static bool IsDunder(string part) => part.Length > 4 && part.StartsWith("__", StringComparison.Ordinal) && part.EndsWith("__", StringComparison.Ordinal);
}
