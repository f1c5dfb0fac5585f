import ArgumentParser
import CairnClient
import CairnPrimitives

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage keys in the home folder.",
        subcommands: [Add.self, List.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new key.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the key.") var name: String
        @Option(help: "Where the key is kept: 'file' (encrypted with a passphrase) or 'test' (unencrypted, devnets only).")
        var keyringBackend: String = "file"

        func run() async throws {
            try await reportingFailure {
                guard let backend = Keyring.Backend(rawValue: keyringBackend) else {
                    throw CLIError("unknown keyring backend '\(keyringBackend)' (use file or test)")
                }
                let keyring = Keyring(home: global.home)
                let passphrase = backend == .file ? try readPassphrase("Passphrase for \(name): ") : nil
                let info = try keyring.add(name, backend: backend, passphrase: passphrase)
                if global.json { try printJSON(info) } else {
                    print("created key '\(info.name)' (\(info.backend.rawValue) keyring)\naddress: \(info.address)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingFailure {
                let keys = try Keyring(home: global.home).list()
                if global.json { try printJSON(keys); return }
                if keys.isEmpty { print("no keys in \(global.home)/keys") }
                for k in keys { print("\(k.name)\t\(k.address)\t\(k.backend.rawValue)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a key's address and public key.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() async throws {
            try await reportingFailure {
                let k = try Keyring(home: global.home).show(name)
                if global.json { try printJSON(k) } else {
                    print("name: \(k.name)\naddress: \(k.address)\npublic key: \(k.publicKey)\nkeyring: \(k.backend.rawValue)")
                }
            }
        }
    }
}

/// Loads a key for signing, asking for the passphrase when it is encrypted.
func signingKey(_ name: String, home: String) throws -> PrivateKey {
    let keyring = Keyring(home: home)
    let passphrase = try keyring.isEncrypted(name) ? try readPassphrase("Passphrase for \(name): ") : nil
    return try keyring.privateKey(name, passphrase: passphrase)
}
