public import CairnPrimitives
public import CairnMarket
import Foundation

/// One payment channel as a client's wallet keeps it.
public struct WalletChannel: Sendable, Codable, Equatable {
    public var id: UInt64
    public var provider: Address
    /// The deposit as last known from the chain (updated on open, top-up and sync).
    public var deposit: Amount
    /// What the provider has delivered according to the receipts accepted: the latest voucher covers exactly this.
    public var delivered: Amount
    /// `delivered` by model, sorted by model id.
    public var perModel: [ModelAmount]
    /// The tokens and requests of the receipts accepted, by model, sorted by model id.
    public var usage: [ModelUsage]
    /// Whether the client has started closing the channel.
    public var closing: Bool
    /// Receipts accepted on this channel.
    public var receipts: UInt64

    public init(id: UInt64, provider: Address, deposit: Amount, delivered: Amount, perModel: [ModelAmount], usage: [ModelUsage] = [],
                closing: Bool, receipts: UInt64) {
        self.id = id
        self.provider = provider
        self.deposit = deposit
        self.delivered = delivered
        self.perModel = perModel
        self.usage = usage
        self.closing = closing
        self.receipts = receipts
    }

    enum CodingKeys: String, CodingKey {
        case id, provider, deposit, delivered, perModel, usage, closing, receipts
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UInt64.self, forKey: .id)
        provider = try c.decode(Address.self, forKey: .provider)
        deposit = try c.decode(Amount.self, forKey: .deposit)
        delivered = try c.decode(Amount.self, forKey: .delivered)
        perModel = try c.decode([ModelAmount].self, forKey: .perModel)
        // Wallets written before usage was counted have none.
        usage = try c.decodeIfPresent([ModelUsage].self, forKey: .usage) ?? []
        closing = try c.decode(Bool.self, forKey: .closing)
        receipts = try c.decode(UInt64.self, forKey: .receipts)
    }

    /// The deposit not yet promised to the provider.
    public var available: Amount { deposit.subtracting(delivered) ?? .zero }

    /// The voucher that pays for everything delivered so far, with its usage.
    public var voucher: Voucher { Voucher(channelID: id, cumulative: delivered, perModel: perModel, usage: usage) }
}

/// The wallet's file: every channel of one client on one chain, written atomically.
public struct WalletFile: Codable, Sendable, Equatable {
    static let version = 1
    var version: Int
    public var chainID: String
    public var client: Address
    public var channels: [WalletChannel]

    /// The file of `client`'s `channels` on `chainID`, in this build's version.
    public init(chainID: String, client: Address, channels: [WalletChannel]) {
        version = WalletFile.version
        self.chainID = chainID
        self.client = client
        self.channels = channels
    }

    /// Refuses a file of another client or chain.
    public func check(client: Address, chainID: String, path: String) throws(ClientError) {
        guard self.client == client else { throw ClientError("the channel wallet \(path) belongs to \(self.client), not \(client)") }
        guard self.chainID == chainID else { throw ClientError("the channel wallet \(path) is for chain \(self.chainID), not \(chainID)") }
    }
}

/// Reads and writes the wallet file: written to a temporary file, flushed to disk, then renamed over the
/// old one, so a process killed mid-write leaves either the old or the new state, never a torn one.
public struct WalletStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The file, or nil when there is none yet.
    public func load() throws(ClientError) -> WalletFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ClientError("cannot read the channel wallet \(path): \(error.localizedDescription)")
        }
        let file: WalletFile
        do { file = try JSONDecoder().decode(WalletFile.self, from: data) } catch {
            throw ClientError("the channel wallet \(path) is corrupt (\(error)); it was left as it is")
        }
        guard file.version == WalletFile.version else {
            throw ClientError("the channel wallet \(path) has version \(file.version); this build reads version \(WalletFile.version)")
        }
        return file
    }

    /// Writes the file durably.
    public func save(_ file: WalletFile) throws(ClientError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(file) } catch { throw ClientError("cannot encode the channel wallet: \(error)") }
        let temporary = path + ".tmp"
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        } catch { throw ClientError("cannot create \(directory): \(error.localizedDescription)") }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ClientError("cannot write \(temporary): errno \(errno)") }
        let written = data.withUnsafeBytes { raw -> Int in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return -1 }
                offset += n
            }
            return offset
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced else { throw ClientError("cannot write \(temporary) to disk: errno \(errno)") }
        guard rename(temporary, path) == 0 else { throw ClientError("cannot replace \(path): errno \(errno)") }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }
}
