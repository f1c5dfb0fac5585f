import Foundation
import Testing
@testable import CairnInference

/// SIMD kernels checked against the scalar reference decoders and double-precision sums on random data.
@Suite struct KernelTests {
    /// A pool with more threads than cores, to exercise claiming under contention (pools live for the process).
    static let threePool = ComputePool(threads: 3)
    static let serialPool = ComputePool(threads: 1)
    static let twoPool = ComputePool(threads: 2)

    static func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    static func matrix(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> (WeightMatrix, [UInt8], [Float]) {
        let bytes = BlockFormats.quantize(randomFloats(rows * columns, seed: seed), as: type)
        var decoded = [Float](repeating: 0, count: rows * columns)
        bytes.withUnsafeBytes { raw in
            decoded.withUnsafeMutableBufferPointer {
                BlockFormats.dequantize(type, raw.baseAddress!, count: rows * columns, into: $0.baseAddress!)
            }
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        storage.copyMemory(from: bytes, byteCount: bytes.count)
        return (WeightMatrix(base: storage, type: type, rows: rows, columns: columns), bytes, decoded)
    }

    /// Products over float32 panels against double-precision sums, for token counts around the kernel's block of six,
    /// written and accumulated, over a range of panels only (the rows outside it untouched).
    @Test(.enabled(if: FloatPanels.available, "needs AVX-512F or AVX2"), arguments: [1, 5, 6, 7, 13])
    func floatPanelsMatchDoubleSums(tokens: Int) {
        let rows = 96, columns = 576
        let weights = Self.randomFloats(rows * columns, seed: 41), x = Self.randomFloats(tokens * columns, seed: 42)
        var panels = [Float](repeating: .nan, count: FloatPanels.count(rows: rows, columns: columns))
        panels.withUnsafeMutableBufferPointer { FloatPanels.pack(weights, rows: rows, columns: columns, into: $0.baseAddress!) }
        #expect(!panels.contains { $0.isNaN })
        let start = Self.randomFloats(tokens * rows, seed: 43)
        for accumulate in [false, true] {
            var output = start
            output.withUnsafeMutableBufferPointer { out in
                FloatPanels.multiply(x: x, tokens: tokens, columns: columns, weights: panels, panels: 1..<3, output: out.baseAddress!,
                                     ldc: rows, accumulate: accumulate)
            }
            for t in 0..<tokens {
                for r in 0..<rows {
                    let got = output[t * rows + r]
                    guard r >= 32 else {
                        #expect(got == start[t * rows + r], "row \(r) is outside the panels asked for")
                        continue
                    }
                    var sum = accumulate ? Double(start[t * rows + r]) : 0
                    for k in 0..<columns { sum += Double(x[t * columns + k]) * Double(weights[r * columns + k]) }
                    #expect(abs(Double(got) - sum) <= 1e-4 * max(1, abs(sum)), "token \(t) row \(r): \(got) against \(sum)")
                }
            }
        }
    }

    /// The AVX2 kernels against the AVX-512 ones, where the processor runs both: the same chains of fused
    /// multiply-adds, so the same bits.
    @Test(.enabled(if: FloatPanels.instructions == .avx512 && MatVecKernels.processorFlags().contains("avx2"), "needs AVX-512F and AVX2"),
          arguments: [1, 6, 7, 13])
    func floatPanelKernelsForAVX2AndAVX512GiveTheSameBits(tokens: Int) {
        let rows = 64, columns = 160
        let weights = Self.randomFloats(rows * columns, seed: 44), x = Self.randomFloats(tokens * columns, seed: 45)
        var panels = [Float](repeating: 0, count: FloatPanels.count(rows: rows, columns: columns))
        panels.withUnsafeMutableBufferPointer { FloatPanels.pack(weights, rows: rows, columns: columns, into: $0.baseAddress!) }
        let start = Self.randomFloats(tokens * rows, seed: 46)
        for accumulate in [false, true] {
            var wide = start, narrow = start
            wide.withUnsafeMutableBufferPointer {
                FloatPanels.multiply(x: x, tokens: tokens, columns: columns, weights: panels, panels: 0..<2, output: $0.baseAddress!,
                                     ldc: rows, accumulate: accumulate, using: .avx512)
            }
            narrow.withUnsafeMutableBufferPointer {
                FloatPanels.multiply(x: x, tokens: tokens, columns: columns, weights: panels, panels: 0..<2, output: $0.baseAddress!,
                                     ldc: rows, accumulate: accumulate, using: .avx2)
            }
            #expect(wide.map(\.bitPattern) == narrow.map(\.bitPattern))
            #expect(wide != start)
        }
    }

    @Test func quantizationRoundTripsWithinOneStep() {
        let values = Self.randomFloats(256, seed: 1)
        for type in GGMLType.allCases {
            let bytes = BlockFormats.quantize(values, as: type)
            #expect(bytes.count == type.byteCount(elements: values.count))
            var decoded = [Float](repeating: 0, count: values.count)
            bytes.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer { BlockFormats.dequantize(type, raw.baseAddress!, count: 256, into: $0.baseAddress!) }
            }
            let tolerance: Float = type == .q4_1 ? 2.0 / 15 * 0.51 + 1e-3 : type == .q8_0 ? 1.0 / 127 * 0.51 + 1e-3 : 1e-3
            #expect(maxAbsDifference(values, decoded) <= tolerance, "\(type)")
        }
    }

    @Test(arguments: GGMLType.allCases)
    func simdDequantizeMatchesScalarReference(type: GGMLType) {
        let (m, _, decoded) = Self.matrix(type, rows: 5, columns: 96, seed: 2)
        var out = [Float](repeating: 0, count: 5 * 96)
        out.withUnsafeMutableBufferPointer { m.dequantize(rows: 0..<5, into: $0.baseAddress!) }
        #expect(out == decoded)
    }

    @Test(arguments: GGMLType.allCases)
    func matVecMatchesDoublePrecisionReference(type: GGMLType) {
        let rows = 131, columns = 160
        let (m, _, decoded) = Self.matrix(type, rows: rows, columns: columns, seed: 3)
        let x = Self.randomFloats(columns, seed: 4)
        let input = MatVecInput(capacity: columns)
        var serial = [Float](repeating: 0, count: rows), parallel = serial
        x.withUnsafeBufferPointer { xp in
            input.prepare(xp.baseAddress!, count: columns, sums: true, quantize: false)
            serial.withUnsafeMutableBufferPointer {
                m.multiply(rows: 0..<rows, x: xp.baseAddress!, input: input, into: $0.baseAddress!)
            }
            parallel.withUnsafeMutableBufferPointer {
                MatVec.multiply(m, x: xp.baseAddress!, input: input, output: $0.baseAddress!, pool: Self.threePool)
            }
        }
        for r in 0..<rows {
            let reference = (0..<columns).reduce(0.0) { $0 + Double(decoded[r * columns + $1]) * Double(x[$1]) }
            #expect(abs(Double(serial[r]) - reference) < 1e-4 * Double(columns), "row \(r)")
        }
        #expect(serial == parallel)
    }

    @Test(.enabled(if: MatVecKernels.integerAvailable, "needs AVX2, FMA and F16C"), arguments: [96, 128])
    func inputQuantizationIsWithinHalfAStepPerBlock(columns: Int) {
        var x = Self.randomFloats(columns, seed: 11, scale: 3)
        for i in 32..<64 { x[i] = 0 }  // an all-zero block quantizes to zeros with scale 0
        x[64] = -5  // a block's largest magnitude maps to ±127 exactly
        let input = MatVecInput(capacity: columns)
        x.withUnsafeBufferPointer { input.quantize($0.baseAddress!, count: columns) }
        #expect(input.scales[1] == 0 && (32..<64).allSatisfy { input.quant(at: $0, count: columns) == 0 })
        #expect(input.quant(at: 64, count: columns) == -127)
        for b in 0..<columns / 32 {
            var sum = 0
            for j in 0..<32 {
                let i = 32 * b + j, q = input.quant(at: i, count: columns)
                sum += Int(q)
                #expect(abs(Float(q) * input.scales[b] - x[i]) <= input.scales[b] * 0.5 + 1e-6, "value \(i)")
            }
            #expect(abs(input.quantSums[b] - input.scales[b] * Float(sum)) <= 1e-4)
        }
    }

    /// Rearranging into the planar layout loses nothing: its rows decode to the same values, for even and odd
    /// block counts.
    @Test(arguments: [GGMLType.q4_1, .q8_0], [64, 96, 160])
    func planarLayoutDecodesToTheSameValues(type: GGMLType, columns: Int) {
        let (m, _, decoded) = Self.matrix(type, rows: 7, columns: columns, seed: 14)
        let storage = PlanarStorage(capacity: m.byteCount)
        let planar = m.planar(into: storage)
        #expect(planar.layout == .planar && planar.rowBytes == m.rowBytes)
        var out = [Float](repeating: 0, count: 7 * columns)
        out.withUnsafeMutableBufferPointer { planar.dequantize(rows: 0..<7, into: $0.baseAddress!) }
        #expect(out == decoded)
    }

    @Test func rowsWiderThanTheIntegerKernelsTakeStayInTheBlockLayout() {
        let columns = WeightMatrix.planarMaximumColumns + 32
        let (m, _, _) = Self.matrix(.q8_0, rows: 2, columns: columns, seed: 15)
        let storage = PlanarStorage(capacity: m.byteCount)
        #expect(m.planar(into: storage).layout == .blocks && storage.used == 0)
    }

    /// The integer kernels are exact in integers: against a double-precision dot of the decoded weights with the
    /// *quantized* input they agree to float rounding, and against the Float input to the input's quantization.
    @Test(.enabled(if: MatVecKernels.integerAvailable, "needs AVX2, FMA and F16C"), arguments: [GGMLType.q4_1, .q8_0], [160, 192, 352, 576])
    func integerMatVecMatchesQuantizedInputReference(type: GGMLType, columns: Int) {
        let rows = 131
        let (m, _, decoded) = Self.matrix(type, rows: rows, columns: columns, seed: 12)
        let storage = PlanarStorage(capacity: m.byteCount)
        let planar = m.planar(into: storage)
        let x = Self.randomFloats(columns, seed: 13)
        let input = MatVecInput(capacity: columns)
        var serial = [Float](repeating: 0, count: rows), parallel = serial, exact = serial
        x.withUnsafeBufferPointer { xp in
            input.prepare(xp.baseAddress!, count: columns, sums: true, quantize: true)
            serial.withUnsafeMutableBufferPointer {
                planar.multiply(rows: 0..<rows, x: xp.baseAddress!, input: input, into: $0.baseAddress!)
            }
            exact.withUnsafeMutableBufferPointer {
                m.multiply(rows: 0..<rows, x: xp.baseAddress!, input: input, into: $0.baseAddress!)
            }
            parallel.withUnsafeMutableBufferPointer {
                MatVec.multiply(planar, x: xp.baseAddress!, input: input, output: $0.baseAddress!, pool: Self.threePool)
            }
        }
        let dequantized = (0..<columns).map { Double(input.quant(at: $0, count: columns)) * Double(input.scales[$0 / 32]) }
        for r in 0..<rows {
            let reference = (0..<columns).reduce(0.0) { $0 + Double(decoded[r * columns + $1]) * dequantized[$1] }
            #expect(abs(Double(serial[r]) - reference) < 1e-5 * Double(columns), "row \(r)")
            #expect(abs(serial[r] - exact[r]) < 0.02 * Float(columns).squareRoot(), "row \(r)")
        }
        #expect(serial == parallel)
    }

    @Test func matVecRangesCoverEveryRowOnceAtAlignedCuts() {
        for rows in [1, 15, 16, 17, 100, 232, 576, 49_152] {
            for parts in 1...5 {
                let ranges = (0..<parts).map { MatVec.range($0, of: parts, rows: rows) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == rows, "\(rows) rows in \(parts)")
                for (left, right) in zip(ranges, ranges.dropFirst()) {
                    #expect(left.upperBound == right.lowerBound)
                    #expect(right.lowerBound % MatVec.rowAlignment == 0 || right.lowerBound == rows)
                }
                if rows >= 16 * parts * MatVec.rowAlignment {
                    let sizes = ranges.map(\.count)
                    #expect(sizes.max()! - sizes.min()! <= MatVec.rowAlignment, "\(rows) rows in \(parts): \(sizes)")
                }
            }
        }
    }

    /// The fused product cuts the three matrices' rows as one sequence, so with two and three threads the cuts
    /// fall inside matrices; every output must equal the matrix's own product.
    @Test(arguments: [false, true], [2, 3])
    func fusedMatVecWritesEachOutput(planar: Bool, threads: Int) {
        let pool = threads == 3 ? Self.threePool : Self.twoPool
        let planar = planar && MatVecKernels.integerAvailable
        let storage = PlanarStorage(capacity: 8192)
        var (a, _, _) = Self.matrix(.q4_1, rows: 70, columns: 64, seed: 5)
        var (b, _, _) = Self.matrix(.q8_0, rows: 33, columns: 64, seed: 6)
        let (c, _, _) = Self.matrix(.f32, rows: 129, columns: 64, seed: 7)
        if planar { (a, b) = (a.planar(into: storage), b.planar(into: storage)) }
        let x = Self.randomFloats(64, seed: 8)
        let input = MatVecInput(capacity: 64)
        var f0 = [Float](repeating: 0, count: a.rows), f1 = [Float](repeating: 0, count: b.rows)
        var f2 = [Float](repeating: 0, count: c.rows)
        var single = [f0, f1, f2]
        x.withUnsafeBufferPointer { xp in
            f0.withUnsafeMutableBufferPointer { o0 in
                f1.withUnsafeMutableBufferPointer { o1 in
                    f2.withUnsafeMutableBufferPointer { o2 in
                        MatVec.multiply(
                            a, into: o0.baseAddress!, b, into: o1.baseAddress!, c, into: o2.baseAddress!,
                            x: xp.baseAddress!, input: input, pool: pool)
                    }
                }
            }
            for (i, m) in [a, b, c].enumerated() {
                single[i].withUnsafeMutableBufferPointer {
                    MatVec.multiply(m, x: xp.baseAddress!, input: input, output: $0.baseAddress!, pool: Self.serialPool)
                }
            }
        }
        #expect([f0, f1, f2] == single)
    }

    @Test(arguments: [GGMLType.q4_1, .q8_0, .f32])
    func batchedMatMulMatchesMatVec(type: GGMLType) {
        let rows = 100, columns = 96, tokens = 7
        let (m, _, decoded) = Self.matrix(type, rows: rows, columns: columns, seed: 9)
        let x = Self.randomFloats(tokens * columns, seed: 10)
        var out = [Float](repeating: 0, count: tokens * rows)
        var tile = [Float](repeating: 0, count: rows * columns)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                tile.withUnsafeMutableBufferPointer {
                    MatMul.multiply(m, x: xp.baseAddress!, tokens: tokens, output: op.baseAddress!, tile: $0.baseAddress!, pool: .shared)
                }
            }
        }
        for t in 0..<tokens {
            for r in 0..<rows {
                let reference = (0..<columns).reduce(Float(0)) { $0 + decoded[r * columns + $1] * x[t * columns + $1] }
                #expect(abs(out[t * rows + r] - reference) < 1e-3)
            }
        }
    }

    @Test func openBLASRunsAVX512KernelsWhereTheProcessorHasThem() {
        let core = BLASSetup.core
        let wish = ProcessInfo.processInfo.environment["CAIRN_BLAS_CORETYPE"]
        if wish == nil, BLASSetup.hasAVX512() {
            #expect(BLASSetup.avx512Cores.contains(core.name.lowercased()), "\(core)")
        }
        // The kernels it chose compute: a product checked against the naive sum, with shapes that use their edges.
        let (m, n, k) = (37, 53, 71)
        let a = Self.randomFloats(m * k, seed: 21), b = Self.randomFloats(n * k, seed: 22)
        var c = [Float](repeating: 0, count: m * n)
        MatMul.sgemm(a: a, b: b, c: &c, m: m, n: n, k: k, transposeB: true)
        for i in 0..<m {
            for j in 0..<n {
                let reference = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[j * k + $1] }
                #expect(abs(c[i * n + j] - reference) < 1e-3, "[\(i), \(j)]")
            }
        }
    }

    @Test func fastExpAndSoftmaxAreAccurate() {
        let inputs = (0..<3488).map { Float($0 - 1744) / 20 }  // -87.2 ..< 87.2, where Float's exp is finite and normal
        for chunk in stride(from: 0, to: inputs.count, by: 16) {
            let v = SIMD16<Float>(inputs[chunk..<chunk + 16])
            let e = FastMath.exp(v)
            for i in 0..<16 {
                let reference = Foundation.exp(Double(v[i]))
                #expect(abs(Double(e[i]) - reference) <= 3e-7 * reference + 1e-37, "exp(\(v[i]))")
            }
        }
        let extremes = FastMath.exp(SIMD16<Float>(repeating: -1000)) + FastMath.exp(SIMD16<Float>(repeating: 1000))
        #expect((0..<16).allSatisfy { extremes[$0].isFinite && extremes[$0] > 1e38 })
        var x = Self.randomFloats(37, seed: 11, scale: 20)
        let reference = x.map { Foundation.exp(Double($0 - x.max()!)) }
        let total = reference.reduce(0, +)
        x.withUnsafeMutableBufferPointer { FastMath.softmax($0.baseAddress!, count: 37) }
        for i in 0..<37 { #expect(abs(Double(x[i]) - reference[i] / total) < 1e-6) }
    }

    @Test func poolRunsEveryChunkExactlyOnce() {
        let pool = Self.threePool
        for chunks in [1, 2, 3, 17, 1000] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
            counts.initialize(repeating: 0, count: chunks)
            for _ in 0..<50 { pool.run(chunks: chunks) { counts[$0] += 1 } }
            #expect((0..<chunks).allSatisfy { counts[$0] == 50 })
            counts.deallocate()
        }
    }
}
