/// How the KV cache stores keys and values.
public enum KVCachePrecision: Sendable, CustomStringConvertible {
    /// Half the memory and half the bytes decode attention reads per position, as llama.cpp's default cache;
    /// keys and values are rounded to float16 (about three significant digits) when stored.
    case float16
    /// Keys and values exactly as computed.
    case float32

    public var description: String {
        switch self {
        case .float16: "float16"
        case .float32: "float32"
        }
    }
}

/// The element types a ``KVCache`` holds, converted to and from Float sixteen lanes at a time.
protocol KVElement {
    /// Sixteen elements at `p`, widened to Float.
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float>
    /// Element `index` of the elements at `p`, widened to Float.
    static func load(_ p: UnsafeRawPointer, _ index: Int) -> Float
    /// Stores `v` as element `index` of the elements at `p`.
    static func store(_ v: Float, _ p: UnsafeMutableRawPointer, _ index: Int)
}

extension Float: KVElement {
    @inline(__always)
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> { p.loadUnaligned(as: SIMD16<Float>.self) }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        p.loadUnaligned(fromByteOffset: 4 * index, as: Float.self)
    }

    @inline(__always)
    static func store(_ v: Float, _ p: UnsafeMutableRawPointer, _ index: Int) {
        p.storeBytes(of: v, toByteOffset: 4 * index, as: Float.self)
    }
}

extension Float16: KVElement {
    @inline(__always)
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        DotKernels.floats(p.loadUnaligned(as: SIMD16<Float16>.self))
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        Float(p.loadUnaligned(fromByteOffset: 2 * index, as: Float16.self))
    }

    @inline(__always)
    static func store(_ v: Float, _ p: UnsafeMutableRawPointer, _ index: Int) {
        p.storeBytes(of: Float16(v), toByteOffset: 2 * index, as: Float16.self)
    }
}

/// The keys and values of one sequence: per layer and KV head, one row of `headDimension` values per position,
/// the positions of a head one after the other, so that attention streams each head's rows from one block.
///
/// Left uninitialised: positions are written before they are read, and the pages of positions a conversation
/// never reaches never become resident.
final class KVCache {
    let precision: KVCachePrecision
    let layers: Int, heads: Int, positions: Int, headDimension: Int
    let keys: UnsafeMutableRawPointer  // [layers][heads][positions][headDimension]
    let values: UnsafeMutableRawPointer  // same shape

    init(precision: KVCachePrecision, layers: Int, heads: Int, positions: Int, headDimension: Int) {
        self.precision = precision
        self.layers = layers
        self.heads = heads
        self.positions = positions
        self.headDimension = headDimension
        let bytes = layers * heads * positions * headDimension * (precision == .float16 ? 2 : 4)
        keys = .allocate(byteCount: bytes, alignment: 64)
        values = .allocate(byteCount: bytes, alignment: 64)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// The bytes of one element.
    var elementBytes: Int { precision == .float16 ? 2 : 4 }

    /// The byte offset of head `head`'s row at `position` in `layer`.
    @inline(__always)
    func offset(layer: Int, head: Int, position: Int = 0) -> Int {
        ((layer * heads + head) * positions + position) * headDimension * elementBytes
    }

    /// Stores the keys and values of `position` in `layer`, `heads × headDimension` floats each.
    func store(layer: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        precondition(position >= 0 && position < positions, "position outside the cache")
        switch precision {
        case .float16: store(Float16.self, layer: layer, position: position, keys: k, values: v)
        case .float32: store(Float.self, layer: layer, position: position, keys: k, values: v)
        }
    }

    private func store<E: KVElement>(
        _: E.Type, layer: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>
    ) {
        for h in 0..<heads {
            let at = offset(layer: layer, head: h, position: position), source = h * headDimension
            for d in 0..<headDimension {
                E.store(k[source + d], keys + at, d)
                E.store(v[source + d], values + at, d)
            }
        }
    }

    /// Copies the keys and values of positions `0..<count` from `source`, a cache of the same shape and precision
    /// (its number of positions may differ).
    func copyPositions(from source: KVCache, count: Int) {
        precondition(source.precision == precision && source.layers == layers && source.heads == heads
                     && source.headDimension == headDimension, "caches of different shapes")
        precondition(count >= 0 && count <= positions && count <= source.positions, "positions outside the cache")
        let bytes = count * headDimension * elementBytes
        for layer in 0..<layers {
            for head in 0..<heads {
                let to = offset(layer: layer, head: head), from = source.offset(layer: layer, head: head)
                (keys + to).copyMemory(from: source.keys + from, byteCount: bytes)
                (values + to).copyMemory(from: source.values + from, byteCount: bytes)
            }
        }
    }

    /// Writes head `head`'s keys and values of positions `0..<count` in `layer` as Float rows of `headDimension`
    /// into `keysOut` and `valuesOut`.
    func load(layer: Int, head: Int, count: Int, keys keysOut: UnsafeMutablePointer<Float>, values valuesOut: UnsafeMutablePointer<Float>) {
        let at = offset(layer: layer, head: head), n = count * headDimension
        switch precision {
        case .float16:
            for i in 0..<n {
                keysOut[i] = Float16.load(keys + at, i)
                valuesOut[i] = Float16.load(values + at, i)
            }
        case .float32:
            keysOut.update(from: (keys + at).assumingMemoryBound(to: Float.self), count: n)
            valuesOut.update(from: (values + at).assumingMemoryBound(to: Float.self), count: n)
        }
    }
}
