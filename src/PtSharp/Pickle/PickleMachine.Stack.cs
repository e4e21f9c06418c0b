namespace PtSharp.Pickle;

internal sealed partial class PickleMachine
{
    // Tensor pickles are mostly small ints (sizes, strides, offsets) and bools: share their boxes instead of
    // allocating one per value, which keeps the garbage collector's work proportional to real objects.
    private const int BoxCacheMax = 4096;
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;
    private static readonly object[] SmallInts = Enumerable.Range(0, BoxCacheMax + 1).Select(i => (object)(long)i).ToArray();

    private static object Box(long v) => (ulong)v <= BoxCacheMax ? SmallInts[v] : v;

    private void Push(object? value, long at)
    {
        if (_count == _values.Length) GrowStack(at);
        _values[_count++] = value;
    }

    private void GrowStack(long at)
    {
        if (_count >= _limits.MaxStackSize) Limit($"pickle stack exceeds {_limits.MaxStackSize} values", at);
        Array.Resize(ref _values, (int)Math.Min(Math.Max(16L, 2L * _values.Length), _limits.MaxStackSize));
    }

    private object? Pop(long at)
    {
        if (_count <= _floor) Fail(_count == 0 ? "stack underflow" : "stack underflow: a value was expected above the MARK", at);
        var v = _values[--_count];
        _values[_count] = null;
        return v;
    }

    private object? Peek(long at)
    {
        if (_count <= _floor) Fail("stack underflow", at);
        return _values[_count - 1];
    }

    private void PopMarkIndex()
    {
        _marks.RemoveAt(_marks.Count - 1);
        _floor = _marks.Count > 0 ? _marks[^1] : 0;
    }

    private object?[] PopMark(long at)
    {
        if (_marks.Count == 0) Fail("no MARK on the stack", at);
        int mark = _marks[^1];
        PopMarkIndex();
        var items = _values.AsSpan(mark, _count - mark).ToArray();
        Array.Clear(_values, mark, _count - mark);
        _count = mark;
        return items;
    }

    private void MemoPut(long index, long at)
    {
        var v = Peek(at);
        if (index == _memoDenseCount && (_memoSparseIds is null || !_memoSparseIds.Contains(index)))
        {
            CountMemoEntry(at);
            _memoDenseCount++;
        }
        else if (index < 0 || index > _memoDenseCount)
        {
            _memoSparseIds ??= new();
            if (_memoSparseIds.Add(index)) CountMemoEntry(at);
        }
        if (_memoSmall is not null) { if ((ulong)index < (ulong)_memoSmall.Length) _memoSmall[index] = v; }
        else if (_memoFetched is null || _memoFetched.IsFetched(index)) _memoValues[index] = v;
    }

    private void CountMemoEntry(long at)
    {
        if (_memoCount >= _limits.MaxMemoEntries) Limit($"memo exceeds {_limits.MaxMemoEntries} entries", at);
        _memoCount++;
    }

    private void MemoGet(long index, long at)
    {
        object? v;
        if (_memoSmall is not null)
        {
            v = (ulong)index < (ulong)_memoSmall.Length ? _memoSmall[index] : NotStored;
            if (ReferenceEquals(v, NotStored)) Fail($"memo entry {index} was never stored", at);
        }
        else if (!_memoValues.TryGetValue(index, out v)) Fail($"memo entry {index} was never stored", at);
        Push(v, at);
    }

    private object? CheckKey(object? key, long at)
    {
        if (key is PyList or PyDict or PySet { IsFrozen: false }) Fail("unhashable dict key (list, dict or set)", at);
        return key;
    }

    private void AppendTo(object? target, object?[] items, long at)
    {
        switch (target)
        {
            case PyList list: list.AddRange(items); break;
            case PyObject obj: (obj.ListItems ??= new PyList()).AddRange(items); break;
            default: Fail($"APPEND on {Describe(target)}, which is not a list", at); break;
        }
    }

    private void SetItems(object? target, object?[] items, long at)
    {
        if (items.Length % 2 != 0) Fail("SETITEMS with an odd number of items", at);
        PyDict dict = target switch
        {
            PyDict d => d,
            PyObject obj => obj.DictItems ??= new PyDict(),
            _ => null!,
        };
        if (dict is null) Fail($"SETITEM on {Describe(target)}, which is not a dict", at);
        for (int i = 0; i < items.Length; i += 2) CheckKey(items[i], at);
        dict.SetMany(items);
        _deferredDicts.Add(dict);
    }

    internal static string Describe(object? v) => v switch
    {
        null => "None",
        PyObject o => $"an object of {o.Module}.{o.Name}",
        PyGlobal g => $"the global {g.FullName}",
        _ => $"a {v.GetType().Name}",
    };
}
