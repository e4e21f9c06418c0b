using System.Buffers.Binary;
namespace PtSharp.Pickle;

internal sealed unsafe partial class PickleMachine
{
    // Tensor pickles are mostly small ints (sizes, strides, offsets) and bools: share their boxes instead of
    // allocating one per value, which keeps the garbage collector's work proportional to real objects.
    private const int BoxCacheMax = 4096;
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;
    private static readonly object[] SmallInts =
        Enumerable.Range(0, BoxCacheMax + 1).Select(i => (object)(long)i).ToArray();

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
        if (_count <= _floor)
            Fail(_count == 0 ? "stack underflow" : "stack underflow: a value was expected above the MARK", at);
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

    /// <summary>
    /// Torch writes every storage id and every tensor's arguments as <c>MARK ... TUPLE [BINPUT n] BINPERSID|REDUCE</c>.
    /// When the memo entry is never read back, nothing can observe that tuple, so the items are handed to the host
    /// straight from the stack instead of being copied into a tuple that dies at once (two allocations per storage
    /// and per tensor, which is what pushes a 20,000-tensor load into a garbage collection). Any other shape, a
    /// frame boundary, or a memo entry that is read back takes the ordinary path.
    /// </summary>
    private bool TryPassTupleDirectly(ref PickleReader reader)
    {
        if (_marks.Count == 0) return false;
        var ahead = reader;
        if (!ahead.Next(out var next) || next.CrossesFrame) return false;
        long memoIndex = next.Opcode switch
        {
            PickleOpcode.BinPut or PickleOpcode.LongBinPut => next.Int,
            PickleOpcode.Memoize => _memoCount,
            _ => -1,
        };
        if (memoIndex >= 0)
        {
            if (_memoFetched is null || _memoFetched.IsFetched(memoIndex)) return false;
            if (!ahead.Next(out next) || next.CrossesFrame) return false;
        }
        if (next.Opcode != PickleOpcode.BinPersId && next.Opcode != PickleOpcode.Reduce) return false;
        long q = _start + next.Position;

        int mark = _marks[^1];
        int floorBelow = _marks.Count > 1 ? _marks[^2] : 0;
        // No callable: let REDUCE report it.
        if (next.Opcode == PickleOpcode.Reduce && mark - 1 < floorBelow) return false;
        if (memoIndex >= 0) CountMemoIndex(memoIndex, q);
        var items = new ReadOnlySpan<object?>(_values, mark, _count - mark);
        object? result = next.Opcode == PickleOpcode.BinPersId
            ? _host.PersistentLoadItems(items, q)
            : _host.ReduceItems(_values[mark - 1], items, q);
        PopMarkIndex();
        int newCount = next.Opcode == PickleOpcode.Reduce ? mark - 1 : mark;
        Array.Clear(_values, newCount, _count - newCount);
        _count = newCount;
        reader = ahead;
        Push(result, q);
        return true;
    }

    private void MemoPut(long index, long at)
    {
        var v = Peek(at);
        CountMemoIndex(index, at);
        if (_memoSmall is not null) { if ((ulong)index < (ulong)_memoSmall.Length) _memoSmall[index] = v; }
        else if (_memoFetched is null || _memoFetched.IsFetched(index)) _memoValues[index] = v;
    }

    /// <summary>
    /// Records that memo entry <paramref name="index"/> exists (MEMOIZE numbers entries by how many exist).
    /// </summary>
    private void CountMemoIndex(long index, long at)
    {
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

    /// <summary>
    /// Appends key/value pairs to a dict; their lookups are deferred to the end of the pickle (see
    /// <see cref="PyDict.SetMany"/>).
    /// </summary>
    private void AddPairs(PyDict dict, object?[] pairs, long at)
    {
        for (int i = 0; i < pairs.Length; i += 2)
        {
            if (pairs[i] is PyList or PyDict or PySet { IsFrozen: false })
                Fail("unhashable dict key (list, dict or set)", at);
        }
        dict.SetMany(pairs);
        _deferredDicts.Add(dict);
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
        AddPairs(dict, items, at);
    }

    internal static string Describe(object? v) => v switch
    {
        null => "None",
        PyObject o => $"an object of {o.Module}.{o.Name}",
        PyGlobal g => $"the global {g.FullName}",
        _ => $"a {v.GetType().Name}",
    };
}
