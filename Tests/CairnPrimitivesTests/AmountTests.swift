import CairnPrimitives
import CairnTestSupport
import Foundation
import Testing

@Suite struct AmountTests {
    @Test(arguments: [
        ("12.5cairn", "ucairn", UInt128(12_500_000)),
        ("100ucairn", "ucairn", 100),
        ("1cairn", "ucairn", 1_000_000),
        ("0.000001cairn", "ucairn", 1),
        ("1.000001cairn", "ucairn", 1_000_001),
        ("0cairn", "ucairn", 0),
        ("  3cairn ", "ucairn", 3_000_000),
        ("7token", "token", 7),
        ("340282366920938463463374607431768211455ucairn", "ucairn", UInt128.max),
    ])
    func validAmountsParseToBaseUnits(text: String, denom: String, value: UInt128) throws {
        let coin = try Coin(parsing: text)
        #expect(coin.denom == denom)
        #expect(coin.amount == Amount(value))
    }

    @Test(arguments: [
        "1.0000001cairn",
        "abc",
        "",
        "   ",
        "-1cairn",
        "+1cairn",
        "999999999999999999999999999999999999999999cairn",
        "340282366920938463463374607431768211456ucairn",
        "340282366920938463463374607431768211.456cairn",
        "1.5ucairn",
        ".5cairn",
        "1.cairn",
        "1..5cairn",
        "1.2.3cairn",
        "12",
        "12 cairn",
        "1_000cairn",
        "5C",
        "5CAIRN",
        "٣cairn",
    ])
    func malformedOrOutOfRangeAmountsAreRejected(text: String) {
        #expect(throws: AmountError.self) { try Coin(parsing: text) }
    }

    @Test func anAmountPastUInt128SaysItIsTooLarge() {
        let error = #expect(throws: AmountError.self) { try Coin(parsing: "340282366920938463463374607431768211456ucairn") }
        #expect(error?.message.contains("too large") == true)
        let fraction = #expect(throws: AmountError.self) { try Coin(parsing: "1.5ucairn") }
        #expect(fraction?.message.contains("not a whole number") == true)
    }

    @Test(arguments: [
        (UInt128(12_500_000), "12.5cairn"),
        (1, "0.000001cairn"),
        (0, "0cairn"),
        (1_000_000, "1cairn"),
        (10_000_010, "10.00001cairn"),
    ])
    func nativeCoinsDescribeThemselvesInCairn(value: UInt128, text: String) {
        #expect(Coin(denom: Denom.native, amount: Amount(value)).description == text)
    }

    @Test func coinDescriptionParsesBackToTheSameCoin() throws {
        var rng = SeededRandom(seed: 0xC014)
        for i in 0..<500 {
            let bits = Int.random(in: 1...127, using: &rng)
            let value = UInt128(rng.next()) << 64 | UInt128(rng.next())
            let amount = Amount(value >> (128 - bits))
            let denom = i % 3 == 0 ? "token/x-1.a" : Denom.native
            let coin = Coin(denom: denom, amount: amount)
            #expect(try Coin(parsing: coin.description) == coin, "\(coin.description)")
        }
        let largest = Coin(denom: Denom.native, amount: Amount(.max))
        #expect(try Coin(parsing: largest.description) == largest)
    }

    @Test func amountJSONIsADecimalString() throws {
        let values: [Amount] = [0, 42, Amount(UInt128.max)]
        let json = try JSONEncoder().encode(values)
        #expect(String(decoding: json, as: UTF8.self) == "[\"0\",\"42\",\"340282366920938463463374607431768211455\"]")
        #expect(try JSONDecoder().decode([Amount].self, from: json) == values)
    }

    @Test(arguments: ["[5]", "[\"-1\"]", "[\"1.5\"]", "[\"\"]", "[\"1e3\"]", "[\" 1\"]",
                      "[\"340282366920938463463374607431768211456\"]"])
    func amountJSONRejectsAnythingButABaseUnitDecimalString(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Amount].self, from: Data(json.utf8)) }
    }

    @Test func checkedArithmeticReportsOverflowAndUnderflowAsNil() {
        let max = Amount(UInt128.max)
        #expect(max.adding(1) == nil)
        #expect(Amount(5).adding(7) == Amount(12))
        #expect(Amount(5).subtracting(6) == nil)
        #expect(Amount(5).subtracting(5) == .zero)
        #expect(max.multiplied(by: 2) == nil)
        #expect(Amount(3).multiplied(by: 4) == Amount(12))
        #expect(Amount.zero.multiplied(by: .max) == .zero)
    }

    @Test(arguments: [("ucairn", true), ("cairn", true), ("ibc/abc-1.x", true), ("a", false), ("1abc", false),
                      ("Cairn", false), ("", false), (String(repeating: "a", count: 65), false),
                      (String(repeating: "a", count: 64), true), ("a b", false)])
    func denominationValidity(name: String, valid: Bool) {
        #expect(Denom.isValid(name) == valid)
    }
}
