import CairnPrimitives
import CairnLedger

/// Reads of the market's records over any state: handlers, queries and invariants share them.
struct MarketReader {
    let state: any StateReader

    func provider(_ a: Address) throws(LedgerError) -> ProviderRecord? {
        try read(MarketKeys.provider(a), "provider \(a)")
    }

    func channel(_ id: UInt64) throws(LedgerError) -> ChannelRecord? {
        try read(MarketKeys.channel(id), "channel \(id)")
    }

    func existingChannel(_ id: UInt64) throws(LedgerError) -> ChannelRecord {
        guard let c = try channel(id) else { throw MarketError.unknownChannel(id) }
        return c
    }

    /// The id the next channel gets.
    func nextChannelID() throws(LedgerError) -> UInt64 {
        let raw: [UInt8]?
        do { raw = try state.get(MarketKeys.nextChannel) } catch { throw MarketError.corrupt("next channel id: \(error)") }
        guard let raw else { return 1 }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw MarketError.corrupt("next channel id") }
        return id
    }

    /// Every registered provider, in address order.
    func providers() throws(LedgerError) -> [(address: Address, record: ProviderRecord)] {
        var out = [(address: Address, record: ProviderRecord)]()
        for e in try entries(MarketKeys.providerPrefix) {
            guard let a = Address(bytes: Array(e.key[MarketKeys.providerPrefix.count...])) else { throw MarketError.corrupt("provider key") }
            out.append((a, try Self.decode(e.value, "provider \(a)")))
        }
        return out
    }

    /// Every channel, in id order (invariants only: queries go through the indexes).
    func channels() throws(LedgerError) -> [(id: UInt64, record: ChannelRecord)] {
        var out = [(id: UInt64, record: ChannelRecord)]()
        for e in try entries(MarketKeys.channelPrefix) {
            guard e.key.count == MarketKeys.channelPrefix.count + 8,
                  let id = StateKey.readBigEndian(e.key, at: MarketKeys.channelPrefix.count) else { throw MarketError.corrupt("channel key") }
            out.append((id, try Self.decode(e.value, "channel \(id)")))
        }
        return out
    }

    /// The channel ids under an index or queue prefix (each key ends in an 8-byte id), in id order.
    func ids(under prefix: [UInt8]) throws(LedgerError) -> [UInt64] {
        var out = [UInt64]()
        for e in try entries(prefix) {
            guard e.key.count == prefix.count + 8, let id = StateKey.readBigEndian(e.key, at: prefix.count) else {
                throw MarketError.corrupt("index key \(e.key.hexString)")
            }
            out.append(id)
        }
        return out
    }

    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw MarketError.corrupt("scan: \(error)") }
    }

    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        let raw: [UInt8]?
        do { raw = try state.get(key) } catch { throw MarketError.corrupt("\(what()): \(error)") }
        guard let raw else { return nil }
        return try Self.decode(raw, what())
    }

    static func decode<T: CanonicalCodable>(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T {
        do { return try T(canonicalBytes: raw) } catch { throw MarketError.corrupt("\(what()): \(error)") }
    }
}

/// Writes of the market's records: a channel, its indexes and its place in the settle queue move together.
struct MarketStore {
    let state: StateOverlay
    var read: MarketReader { MarketReader(state: state) }

    func write(_ record: ProviderRecord, _ a: Address) { state.set(MarketKeys.provider(a), record.canonicalBytes) }

    func deleteProvider(_ a: Address) { state.delete(MarketKeys.provider(a)) }

    /// Stores a new channel under the next id, indexed by client and provider; returns its id.
    func create(_ record: ChannelRecord) throws(LedgerError) -> UInt64 {
        let id = try read.nextChannelID()
        guard id < UInt64.max else { throw MarketError.overflow("channel id") }
        state.set(MarketKeys.nextChannel, StateKey.bigEndian(id + 1))
        write(record, id)
        state.set(MarketKeys.channels(ofClient: record.client) + StateKey.bigEndian(id), [])
        state.set(MarketKeys.channels(ofProvider: record.provider) + StateKey.bigEndian(id), [])
        return id
    }

    func write(_ record: ChannelRecord, _ id: UInt64) { state.set(MarketKeys.channel(id), record.canonicalBytes) }

    func enqueueSettlement(_ id: UInt64, at height: UInt64) { state.set(MarketKeys.settleQueue(at: height) + StateKey.bigEndian(id), []) }

    func dequeueSettlement(_ id: UInt64, at height: UInt64) { state.delete(MarketKeys.settleQueue(at: height) + StateKey.bigEndian(id)) }
}
