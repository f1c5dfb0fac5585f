import CairnBank
import CairnGovernance
import CairnLedger
import CairnMarket
import CairnModels
import CairnPrimitives
import CairnStaking
import CairnStorage
import CairnTestSupport
import Foundation
import Testing

/// Everything under the state root goes through the canonical codec: parameters are stored in their canonical encoding
/// and parameter values travel as canonical JSON text, so values that JSON writes in several ways (large integers,
/// integers written as fractions, keys in any order) give the same bytes and the same root on every machine.
@Suite struct CanonicalParametersTests {
    /// Parameters JSON formats ambiguously: integers above 2^53 (a `Double` rounds them), amounts above 2^64.
    static var awkward: ChainParams {
        ChainParams(blockGasLimit: 999_999_999_999, initialBaseFee: Amount(UInt128.max), minBaseFee: Amount((UInt128(1) << 64) + 1),
                    baseFeeChangeDenominator: (1 << 53) + 1, maxTxBytes: 65_536, maxMemoBytes: 0)
    }

    /// The encoding written out by hand: version 1, then each field big-endian in the declared order.
    static let awkwardBytes = "01" + "000000e8d4a50fff" + String(repeating: "f", count: 32) + "00000000000000010000000000000001"
        + "0020000000000001" + "0000000000010000" + "0000000000000000"

    @Test func chainParametersEncodeToTheFixedVector() throws {
        #expect(Self.awkward.canonicalBytes.hexString == Self.awkwardBytes)
        #expect(try ChainParams(canonicalBytes: Self.awkward.canonicalBytes) == Self.awkward)
        #expect(ChainParams.default.canonicalBytes.hexString
                == "01" + "000000000393870" + "0" + "0000000000000000000000000000000a" + "0000000000000000000000000000000a"
                + "0000000000000008" + "0000000000010000" + "0000000000000100")
    }

    /// A genesis file with the awkward parameters, its keys in the order given, the numbers as JSON writes them.
    static func genesisText(keys order: [String]) -> String {
        let values: [String: String] = [
            "blockGasLimit": "999999999999", "initialBaseFee": "\"\(UInt128.max)\"", "minBaseFee": "\"\((UInt128(1) << 64) + 1)\"",
            "baseFeeChangeDenominator": "9007199254740993", "maxTxBytes": "65536", "maxMemoBytes": "0",
        ]
        let params = order.map { "\"\($0)\": \(values[$0]!)" }.joined(separator: ", ")
        // The staking section's keys in sorted or reversed order, one of them with integers written as fractions.
        guard case var .object(fields) = StakingParams.default.jsonValue else { preconditionFailure() }
        let reversed = order.first == "maxMemoBytes"
        fields["blocksPerYear"] = nil
        fields["maxEvidenceAgeBlocks"] = nil
        var pairs = fields.map { "\"\($0.key)\": \($0.value.canonicalText)" }
        pairs += reversed ? ["\"blocksPerYear\": 999999999", "\"maxEvidenceAgeBlocks\": 86400"]
                          : ["\"blocksPerYear\": 999999999.0", "\"maxEvidenceAgeBlocks\": 8.64e4"]
        pairs.sort()
        if reversed { pairs.reverse() }
        let staking = "{\"operators\": [], \"params\": {\(pairs.joined(separator: ", "))}}"
        let validator = DevAccount("validator").publicKey.rawRepresentation.hexString
        let funded = DevAccount("canonical-0").address.bech32
        return """
            {"chainID": "canonical-test", "genesisTime": 1700000000000, "params": {\(params)},
             "validators": [{"name": "validator", "publicKey": "\(validator)"}],
             "modules": {"bank": {"balances": [{"address": "\(funded)", "coins": [{"denom": "ucairn", "amount": "5000"}]}]},
                         "staking": \(staking)}}
            """
    }

    @Test func genesisInAnyKeyOrderStoresTheSameBytesAndRoot() throws {
        let orders = [
            ["blockGasLimit", "initialBaseFee", "minBaseFee", "baseFeeChangeDenominator", "maxTxBytes", "maxMemoBytes"],
            ["maxMemoBytes", "maxTxBytes", "baseFeeChangeDenominator", "minBaseFee", "initialBaseFee", "blockGasLimit"],
        ]
        var roots: [Hash] = []
        for order in orders {
            let genesis = try JSONDecoder().decode(Genesis.self, from: Data(Self.genesisText(keys: order).utf8))
            #expect(genesis.params == Self.awkward)
            let chain = try TestChain(genesis: genesis)
            try chain.withState { state in
                #expect(try state.get(Array("ledger/params".utf8))?.hexString == Self.awkwardBytes)
                let staking = try StakingParams(canonicalBytes: try #require(try state.get(Array("staking/params".utf8))))
                #expect(staking.blocksPerYear == 999_999_999)
                #expect(staking.maxEvidenceAgeBlocks == 86_400)
            }
            roots.append(try chain.head().stateRoot)
        }
        #expect(roots[0] == roots[1])
        // Recorded from this version (with the validator sets BFT consensus keeps in state, and the exchange's and the
        // verification module's parameters, pooled challenges' included): a different root means the state's encoding
        // changed, which splits a network.
        #expect(roots[0].hex == "5bf7dfa7bcbee8beb5b490009d92df0536dab1df764e2947fd6ab2e863480073")
    }

    @Test func canonicalJSONTextHasOneFormPerValue() throws {
        let value = try JSONValue(parsing: #"{"b": 1e3, "a": [true, null, "x\"\\\n\u0001/é"], "c": -5, "d": 0.25, "e": 100000000000000000000, "ä": {}, "Z": 1.0}"#)
        #expect(value.canonicalText == #"{"Z":1,"a":[true,null,"x\"\\\n\u0001/é"],"b":1000,"c":-5,"d":0.25,"e":1e+20,"ä":{}}"#)
        #expect(try JSONValue(parsing: value.canonicalText) == value)
        #expect(JSONValue.number(1000.0) == .number(1000))
        #expect(try JSONValue(parsing: "18446744073709551615") == .number(JSONNumber(UInt64.max)))
    }

    /// A parameter change carries its value as canonical JSON text; any other spelling of the same value is refused.
    @Test(arguments: [("1000", true), ("1e3", false), ("1000.0", false), (" 1000", false), ("\"1000\"", true), ("{\"b\":1,\"a\":2}", false),
                      ("{\"a\":2,\"b\":1}", true)])
    func aParameterValueMustBeCanonicalText(text: String, accepted: Bool) throws {
        var w = CanonicalWriter()
        w.write(UInt8(1))
        w.write(UInt32(1))
        w.write("ledger")
        w.write("blockGasLimit")
        w.write(text)
        if accepted {
            let content = try ProposalContent(canonicalBytes: w.bytes)
            #expect(content.canonicalBytes == w.bytes)
        } else {
            #expect(throws: DecodeError.self) { try ProposalContent(canonicalBytes: w.bytes) }
        }
    }

    @Test(arguments: [
        (JSONValue.number(0.5), "must be a whole number, got 0.5"),
        (.number(JSONNumber(exactly: 1e20)!), "must be a whole number from 0 to 18446744073709551615"),
        (.string("12x"), "must be a whole number"),
        (.bool(true), "must be a whole number"),
        (.number(-1), "must be a whole number from 0 to"),
    ])
    func aValueThatIsNotAWholeNumberIsRefused(value: JSONValue, message: String) throws {
        let error = #expect(throws: LedgerError.self) { try ChainParams.default.replacing("blockGasLimit", with: value, module: "ledger") }
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func wholeNumbersArriveExactlyWhateverTheirSpelling() throws {
        let big = "9007199254740993"
        for value in [JSONValue.string(big), .number(JSONNumber(UInt64(big)!)), try JSONValue(parsing: big)] {
            let p = try ChainParams.default.replacing("baseFeeChangeDenominator", with: value, module: "ledger")
            #expect(p.baseFeeChangeDenominator == 9_007_199_254_740_993)
        }
        let fee = try ChainParams.default.replacing("initialBaseFee", with: .string("\(UInt128.max)"), module: "ledger")
        #expect(fee.initialBaseFee == Amount(UInt128.max))
        #expect(try ChainParams.default.replacing("blockGasLimit", with: .number(1e7), module: "ledger").blockGasLimit == 10_000_000)
    }

    /// Every stored property of every parameter set is in its field list, so none is left out of the encoding.
    @Test func everyParameterIsEncoded() throws {
        func check<P: ParameterSet>(_ p: P) throws {
            let properties = Set(Mirror(reflecting: p).children.compactMap(\.label))
            #expect(Set(P.fields.map(\.name)) == properties, "\(P.self)")
            #expect(P.fields.count == properties.count, "\(P.self) lists a field twice")
            #expect(try P(canonicalBytes: p.canonicalBytes) == p)
            #expect(try P.defaults.jsonValue.decode(as: [String: JSONValue].self).keys.sorted() == properties.sorted())
        }
        try check(Self.awkward)
        try check(StakingParams.default)
        try check(GovParams.default)
        try check(MarketParams.default)
        try check(ModelsParams.default)
    }

    @Test func parametersStoredAsJSONByAnEarlierVersionAreNamedAsSuch() throws {
        let legacy = Array(#"{"blockGasLimit":60000000}"#.utf8)
        let error = #expect(throws: DecodeError.self) { try ChainParams(canonicalBytes: legacy) }
        #expect(error?.message.contains("cairn node migrate") == true)
    }
}
