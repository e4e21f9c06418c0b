using System.Globalization;
using PtSharp.Errors;

namespace PtSharp.Pickle;

/// <summary>
/// The budget of one walk over an object tree the pickle machine built: a depth limit and a step limit (from
/// <see cref="PickleLimits"/>), each container entered once, and per-container results for walks that compute
/// one. The tree is a DAG through the memo (a few hundred bytes can describe 2^64 paths), so a container reached a
/// second time is a shared reference that the walk reports and does not re-enter; walks that must re-walk shared
/// subtrees (torch names a shared submodule under each of its names) still count every step. Every walk over
/// PyValues in PtSharp goes through one of these, so its cost is bounded by the pickle's size.
/// </summary>
internal sealed class ObjectWalk
{
    [ThreadStatic] private static long t_steps;
    private readonly HashSet<object> _entered = new(ReferenceEqualityComparer.Instance);
    private Dictionary<object, bool>? _results;

    /// <summary>A walk bounded by <paramref name="limits"/> (defaults when null).</summary>
    /// <param name="limits">The reader's limits: depth and steps.</param>
    /// <param name="record">The pickle record the tree came from, named in errors, or <see langword="null"/>.</param>
    /// <param name="maxSteps">A smaller step budget for walks that re-walk shared subtrees, else the limits'.</param>
    public ObjectWalk(PickleLimits? limits = null, string? record = null, long? maxSteps = null)
    {
        limits ??= new PickleLimits();
        MaxDepth = limits.MaxWalkDepth;
        MaxSteps = Math.Min(maxSteps ?? long.MaxValue, limits.MaxWalkSteps);
        Record = record;
    }

    /// <summary>Steps counted by every walk on the current thread (tests bound commands by it).</summary>
    internal static long StepsOnThisThread => t_steps;

    /// <summary>Most nesting levels.</summary>
    public int MaxDepth { get; }
    /// <summary>Most steps.</summary>
    public long MaxSteps { get; }
    /// <summary>The record named in errors.</summary>
    public string? Record { get; }
    /// <summary>Steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Counts one step of the walk at <paramref name="depth"/>; throws <see cref="ObjectWalkLimitException"/> when
    /// the depth or step limit is passed. <paramref name="path"/> (keys joined with '.') is named in the error.
    /// </summary>
    public void Step(int depth, string? path = null)
    {
        t_steps++;
        if (depth > MaxDepth)
            throw new ObjectWalkLimitException("depth", $"object tree is nested more than {MaxDepth} levels deep",
                path, Record);
        if (++Steps > MaxSteps)
            throw new ObjectWalkLimitException("steps",
                $"object tree walk takes more than {MaxSteps} steps (shared references multiply them)", path, Record);
    }

    /// <summary>
    /// A step to item <paramref name="index"/> of the container at <paramref name="parent"/>, whose key path is
    /// built only for the error (walks step over leaves and shared references without allocating their paths).
    /// </summary>
    public void Step(int depth, string parent, int index)
    {
        if (depth <= MaxDepth && Steps < MaxSteps) { t_steps++; Steps++; return; }
        Step(depth, Join(parent, Index(index)));
    }

    /// <summary>A step to the value under <paramref name="key"/> of the container at <paramref name="parent"/>.
    /// </summary>
    public void Step(int depth, string parent, string key)
    {
        if (depth <= MaxDepth && Steps < MaxSteps) { t_steps++; Steps++; return; }
        Step(depth, Join(parent, key));
    }

    /// <summary>True when <paramref name="container"/> was entered before.</summary>
    public bool WasReached(object container) => _entered.Contains(container);

    /// <summary>
    /// True when a walk looking for <typeparamref name="T"/> values must descend to <paramref name="value"/>: it
    /// is one, or a container not entered yet. Everything else is only stepped over.
    /// </summary>
    public bool MustVisit<T>(object? value) => value is T || IsContainer(value) && !_entered.Contains(value!);

    /// <summary>
    /// True the first time <paramref name="container"/> is reached; false when it was entered before (a shared
    /// reference or a cycle: do not walk it again).
    /// </summary>
    public bool FirstReach(object container) => _entered.Add(container);

    /// <summary>A step, then <see cref="FirstReach"/>: true when <paramref name="container"/> is to be walked.
    /// </summary>
    public bool Enter(object container, int depth, string? path = null)
    {
        Step(depth, path);
        return FirstReach(container);
    }

    /// <summary>The result a walk recorded for <paramref name="container"/>, if any.</summary>
    public bool TryGetResult(object container, out bool result)
    {
        result = false;
        return _results is not null && _results.TryGetValue(container, out result);
    }

    /// <summary>Records a per-container result (each container is then computed once).</summary>
    public void SetResult(object container, bool result) =>
        (_results ??= new(ReferenceEqualityComparer.Instance))[container] = result;

    /// <summary>True for the values a walk descends into.</summary>
    public static bool IsContainer(object? value) => value is PyDict or PyList or PyTuple or PyObject or PySet;

    /// <summary>
    /// Visits <paramref name="root"/> and everything under it (dict values, list/tuple/set items, an object's
    /// attributes), each container entered once: <paramref name="visit"/> gets the path, the value and whether it
    /// is a shared reference to a container already visited (then it is not walked again), and returns false to
    /// skip the value's children.
    /// </summary>
    public void Visit(object? root, Func<string, object?, bool, bool> visit) => Visit(root, "", 0, visit);

    private void Visit(object? value, string path, int depth, Func<string, object?, bool, bool> visit)
    {
        Step(depth, path);
        bool container = IsContainer(value);
        bool shared = container && !FirstReach(value!);
        if (!visit(path, value, shared) || !container || shared) return;
        switch (value)
        {
            case PyDict d:
                foreach (var kv in d.ItemSpan) Visit(kv.Value, Join(path, PyKeyText.Of(kv.Key)), depth + 1, visit);
                break;
            case PyList l:
                for (int i = 0; i < l.Count; i++) Visit(l[i], Join(path, Index(i)), depth + 1, visit);
                break;
            case PyTuple t:
                for (int i = 0; i < t.Count; i++) Visit(t[i], Join(path, Index(i)), depth + 1, visit);
                break;
            case PySet s:
                for (int i = 0; i < s.Count; i++) Visit(s[i], Join(path, Index(i)), depth + 1, visit);
                break;
            case PyObject o when o.Attributes is { } a:
                foreach (var kv in a.ItemSpan) Visit(kv.Value, Join(path, PyKeyText.Of(kv.Key)), depth + 1, visit);
                break;
        }
    }

    /// <summary>Joins a key path: <c>a</c> + <c>b</c> is <c>a.b</c>.</summary>
    public static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A walk over the object tree passed its depth or step limit (<see cref="PtErrorKind.LimitExceeded"/>). The
/// message names the limit, the key path where it was passed and the pickle record.
/// </summary>
internal sealed class ObjectWalkLimitException : PtFormatException
{
    private const int MaxShownPath = 100;

    public ObjectWalkLimitException(string limit, string message, string? path, string? record)
        : base(PtErrorKind.LimitExceeded, message + Where(path), record)
    {
        Limit = limit;
        Path = path;
    }

    /// <summary><c>depth</c> or <c>steps</c>.</summary>
    public string Limit { get; }
    /// <summary>The key path where the limit was passed, or <see langword="null"/>.</summary>
    public string? Path { get; }

    private static string Where(string? path)
    {
        if (path is null) return "";
        if (path.Length == 0) return " (at the root)";
        string shown = path.Length <= MaxShownPath ? path : path[..60] + "…" + path[^39..];
        return $" (at '{shown}')";
    }
}
