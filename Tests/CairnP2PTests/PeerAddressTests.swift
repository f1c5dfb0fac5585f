import Testing
@testable import CairnP2P

@Suite struct PeerAddressTests {
    static let id = "21fe31dfa154a261626bf854046fd2271b7bed4b"

    @Test(arguments: [
        ("\(id)@127.0.0.1:26656", "127.0.0.1", 26656),
        ("\(id)@node-1.example.org:1", "node-1.example.org", 1),
        ("\(id)@[::1]:65535", "::1", 65535),
        ("\(id.uppercased())@localhost:8080", "localhost", 8080),
    ])
    func goodAddressesParse(text: String, host: String, port: Int) throws {
        let address = try PeerAddress(parsing: text)
        #expect(address.id.hex == Self.id)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(try PeerAddress(parsing: address.description) == address)
    }

    @Test(arguments: [
        ("", "invalid-address"),
        ("127.0.0.1:26656", "invalid-address"),
        ("@127.0.0.1:26656", "invalid-address"),
        ("abc@127.0.0.1:26656", "invalid-node-id"),
        ("\(id.dropLast(2))zz@127.0.0.1:26656", "invalid-node-id"),
        ("\(id)@127.0.0.1", "invalid-address"),
        ("\(id)@127.0.0.1:", "invalid-address"),
        ("\(id)@:26656", "invalid-address"),
        ("\(id)@127.0.0.1:0", "invalid-address"),
        ("\(id)@127.0.0.1:65536", "invalid-address"),
        ("\(id)@127.0.0.1:-1", "invalid-address"),
        ("\(id)@127.0.0.1:26x56", "invalid-address"),
        ("\(id)@127.0.0.1:+80", "invalid-address"),
        ("\(id)@::1:26656", "invalid-address"),
        ("\(id)@[::1:26656", "invalid-address"),
        ("\(id)@[::1]26656", "invalid-address"),
        ("\(id)@a@b:26656", "invalid-address"),
        ("\(id)@bad host:26656", "invalid-address"),
    ])
    func badAddressesFailWithAClearError(text: String, code: String) {
        do {
            let address = try PeerAddress(parsing: text)
            Issue.record("\"\(text)\" parsed as \(address)")
        } catch {
            #expect(error.code.name == code, "\(text): \(error.message)")
            #expect(!error.message.isEmpty)
        }
    }
}
