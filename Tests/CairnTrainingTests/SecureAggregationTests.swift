import CairnPrimitives
import CairnTraining
import Testing

/// A seeded generator, so every failure replays.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }

func address(_ i: Int) -> Address { Address(bytes: Array(Hash.sha256(Array("participant-\(i)".utf8)).bytes.prefix(20)))! }

@Suite struct SecureAggregationTests {
    @Test func anyThresholdOfSharesRebuildsTheSecretAndFewerDoNot() {
        var rng = SplitMix64(seed: 1)
        let secret = randomBytes(32, &rng)
        let shares = Shamir.split(secret, threshold: 3, xs: [1, 2, 3, 4, 5], coefficients: &rng)
        #expect(shares.allSatisfy { $0.count == 33 })
        for a in 0..<5 {
            for b in (a + 1)..<5 {
                for c in (b + 1)..<5 { #expect(Shamir.combine([shares[a], shares[b], shares[c]]) == secret) }
                #expect(Shamir.combine([shares[a], shares[b]]) != secret)
            }
        }
        #expect(Shamir.combine(shares) == secret)
        // Malformed: a repeated x, a zero x, uneven lengths.
        #expect(Shamir.combine([shares[0], shares[0], shares[1]]) == nil)
        #expect(Shamir.combine([[0] + Array(shares[0].dropFirst()), shares[1]]) == nil)
        #expect(Shamir.combine([shares[0], Array(shares[1].dropLast())]) == nil)
    }

    @Test func twoSharesOfAThresholdThreeSecretAreUniformOverItsValues() {
        // For every value of a secret byte the two shares at x = 1, 2 take each pair of values equally often over the
        // coefficients: fewer than the threshold say nothing. Checked exactly for one byte over all 65,536 polynomials.
        var counts = [Int](repeating: 0, count: 65_536)
        struct Fixed: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        for c1 in 0..<256 {
            for c2 in 0..<256 {
                // UInt8.random(in: 0...255) takes the low byte of one draw.
                var coefficients = Fixed(values: [UInt64(c1), UInt64(c2)])
                let shares = Shamir.split([0x42], threshold: 3, xs: [1, 2], coefficients: &coefficients)
                counts[Int(shares[0][1]) << 8 | Int(shares[1][1])] += 1
            }
        }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    @Test func boxesOpenOnlyForTheirRecipientInTheirRound() throws {
        var rng = SplitMix64(seed: 2)
        let aSecret = randomBytes(32, &rng), bSecret = randomBytes(32, &rng), cSecret = randomBytes(32, &rng)
        let aKey = try #require(SecureAggregation.publicKey(ofSecret: aSecret))
        let bKey = try #require(SecureAggregation.publicKey(ofSecret: bSecret))
        let contents = ShareBox.Contents(selfShare: [1] + randomBytes(32, &rng), keyShare: [1] + randomBytes(32, &rng))
        let scope = SecureAggregation.Scope(job: 1, round: 2)
        let sealed = try #require(ShareBox.seal(contents, secret: aSecret, peerKey: bKey, from: address(0), to: address(1), scope: scope))
        #expect(sealed.count == ShareBox.sealedBytes)
        #expect(ShareBox.open(sealed, secret: bSecret, peerKey: aKey, from: address(0), to: address(1), scope: scope) == contents)
        #expect(ShareBox.open(sealed, secret: cSecret, peerKey: aKey, from: address(0), to: address(1), scope: scope) == nil)
        #expect(ShareBox.open(sealed, secret: bSecret, peerKey: aKey, from: address(0), to: address(1),
                              scope: .init(job: 1, round: 3)) == nil)
        #expect(ShareBox.open(sealed, secret: bSecret, peerKey: aKey, from: address(0), to: address(2), scope: scope) == nil)
        var tampered = sealed
        tampered[20] ^= 1
        #expect(ShareBox.open(tampered, secret: bSecret, peerKey: aKey, from: address(0), to: address(1), scope: scope) == nil)
    }

    @Test func lowOrderKeysAreRefused() throws {
        #expect(!SecureAggregation.isUsableKey([UInt8](repeating: 0, count: 32)))
        var one = [UInt8](repeating: 0, count: 32)
        one[0] = 1
        #expect(!SecureAggregation.isUsableKey(one))
        #expect(!SecureAggregation.isUsableKey([1, 2, 3]))
        var rng = SplitMix64(seed: 3)
        #expect(SecureAggregation.isUsableKey(try #require(SecureAggregation.publicKey(ofSecret: randomBytes(32, &rng)))))
    }

    /// Four participants' masked updates: the sum over all four is the plain sum; no smaller set sums to its plain sum.
    @Test func masksCancelOnlyInTheFullSum() throws {
        var rng = SplitMix64(seed: 4)
        let n = 4, d = 257
        let people = (0..<n).map { address($0) }
        let maskSecrets = (0..<n).map { _ in randomBytes(32, &rng) }
        let seeds = (0..<n).map { _ in randomBytes(32, &rng) }
        let keys = try maskSecrets.map { try #require(SecureAggregation.publicKey(ofSecret: $0)) }
        let updates = (0..<n).map { _ in (0..<d).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) } }
        let scope = SecureAggregation.Scope(job: 9, round: 1)
        let masked = try (0..<n).map { i in
            try #require(SecureAggregation.mask(updates[i], selfSeed: seeds[i], maskSecret: maskSecrets[i], me: people[i],
                                                peers: (0..<n).map { (people[$0], keys[$0]) }, scope: scope))
        }
        func sum(_ vs: [[UInt32]]) -> [UInt32] {
            var s = [UInt32](repeating: 0, count: d)
            for v in vs { SecureAggregation.add(v, into: &s, sign: true) }
            return s
        }
        // With every self mask removed, the full sum is the plain sum, bit for bit.
        var all = sum(masked)
        for i in 0..<n { SecureAggregation.add(SecureAggregation.expand(seeds[i], count: d), into: &all, sign: false) }
        #expect(all == sum(updates))
        // Any proper subset, even with its self masks removed, still carries pairwise masks.
        for subset in 1..<(1 << n) - 1 {
            let members = (0..<n).filter { subset & (1 << $0) != 0 }
            var s = sum(members.map { masked[$0] })
            for i in members { SecureAggregation.add(SecureAggregation.expand(seeds[i], count: d), into: &s, sign: false) }
            #expect(s != sum(members.map { updates[$0] }), "subset \(members)")
        }
    }

    /// What an observer holds of one participant after the round (its masked update, its revealed self-mask seed) is
    /// uniform whatever the update was: a zero update and an all-ones update leave residues with the same flat byte
    /// histogram. With the mask keys of every other participant (all of them colluding) the update comes out exactly.
    @Test func anObserverSeesUniformNoiseUnlessEveryOtherParticipantColludes() throws {
        var rng = SplitMix64(seed: 5)
        let n = 4, d = 4_096
        let people = (0..<n).map { address($0) }
        let maskSecrets = (0..<n).map { _ in randomBytes(32, &rng) }
        let seeds = (0..<n).map { _ in randomBytes(32, &rng) }
        let keys = try maskSecrets.map { try #require(SecureAggregation.publicKey(ofSecret: $0)) }
        let scope = SecureAggregation.Scope(job: 3, round: 7)
        let peers = (0..<n).map { (people[$0], keys[$0]) }
        for update in [[UInt32](repeating: 0, count: d), [UInt32](repeating: 1 << 16, count: d)] {
            let y = try #require(SecureAggregation.mask(update, selfSeed: seeds[0], maskSecret: maskSecrets[0], me: people[0], peers: peers, scope: scope))
            var residue = y
            SecureAggregation.add(SecureAggregation.expand(seeds[0], count: d), into: &residue, sign: false)
            // Chi-square of the 16,384 residue bytes over 256 bins: 255 degrees of freedom, p = 0.001 at 330.5.
            var bins = [Int](repeating: 0, count: 256)
            for w in residue { for k in 0..<4 { bins[Int(UInt8(truncatingIfNeeded: w >> (8 * k)))] += 1 } }
            let expected = Double(4 * d) / 256
            let chi = bins.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
            #expect(chi < 330.5, "chi-square \(chi)")
            // How many residue words equal the update: chance alone (about 4096 / 2^32).
            #expect(zip(residue, update).filter { $0 == $1 }.count <= 1)
            // All other participants colluding know their pairwise seeds with participant 0 and take them off.
            for j in 1..<n {
                let seed = try #require(SecureAggregation.pairSeed(secret: maskSecrets[j], me: people[j], peerKey: keys[0], peer: people[0], scope: scope))
                SecureAggregation.add(SecureAggregation.expand(seed, count: d), into: &residue, sign: !SecureAggregation.adds(people[0], over: people[j]))
            }
            #expect(residue == update)
        }
    }

    @Test func fixedPointRoundTripsWithinHalfAStep() {
        let values: [Float] = [0, 1, -1, 0.123456, -3.5, 1e-6, 100]
        let back = SecureAggregation.dequantize(SecureAggregation.quantize(values, bits: 16), bits: 16)
        for (a, b) in zip(values, back) { #expect(abs(a - b) <= 0.5 / 65_536 + 1e-6) }
        // Clamped, not wrapped.
        #expect(SecureAggregation.quantize([1e9, -1e9, .nan], bits: 16) == [UInt32(Int32.max / 64), UInt32(bitPattern: -(Int32.max / 64)), 0])
    }

    @Test func theExpandedMaskIsDeterministicAndSeedBound() {
        let a = SecureAggregation.expand([UInt8](repeating: 1, count: 32), count: 20)
        #expect(a == SecureAggregation.expand([UInt8](repeating: 1, count: 32), count: 20))
        #expect(a.count == 20)
        #expect(Array(SecureAggregation.expand([UInt8](repeating: 1, count: 32), count: 5)) == Array(a.prefix(5)))
        #expect(a != SecureAggregation.expand([UInt8](repeating: 2, count: 32), count: 20))
    }
}
