namespace PtSharp.Tensors;

/// <summary>Walks the storage element offsets of a strided view in row-major (logical) order.</summary>
internal struct ElementCursor
{
    private readonly long[] _shape;
    private readonly long[] _stride;
    private readonly long[] _index;
    private long _offset;
    private long _remaining;
    private bool _started;

    public ElementCursor(long[] shape, long[] stride, long offset, long count)
    {
        _shape = shape;
        _stride = stride;
        _index = new long[shape.Length];
        _offset = offset;
        _remaining = count;
        _started = false;
    }

    public bool MoveNext(out long offset)
    {
        if (_remaining <= 0) { offset = 0; return false; }
        if (_started)
        {
            for (int d = _shape.Length - 1; d >= 0; d--)
            {
                if (++_index[d] < _shape[d]) { _offset += _stride[d]; break; }
                _offset -= _stride[d] * (_shape[d] - 1);
                _index[d] = 0;
            }
        }
        _started = true;
        _remaining--;
        offset = _offset;
        return true;
    }
}
