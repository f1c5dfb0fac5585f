import CairnPrimitives
import CairnMarket
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnExchange
import CairnApp
import Foundation

/// A validator: bonded at genesis, withdraws and sells part of its rewards weekly, votes against treasury raids.
struct ValidatorAgent {
    let account: SimAccount
    var rng: SimRandom
    let slot: Int
    let weekday: Int
    /// Chance it votes on a given proposal.
    let turnout: Double
    var lastWithdrawn: UInt128 = 0
    var voted: Set<UInt64> = []
}

/// A token holder who bonds when staking pays more than it asks and unbonds when it pays less.
struct DelegatorAgent {
    let account: SimAccount
    var rng: SimRandom
    let slot: Int
    let weekday: Int
    /// The yearly yield it asks of staking.
    let requiredYield: Double
    var voted: Set<UInt64> = []
}

enum ProviderStatus: String { case prospective, active, exited }

/// A provider: hardware amortization and energy in USD, capacity in tokens a day; prices by cost and utilization,
/// joins when the market pays and leaves when its margin stays negative.
struct ProviderAgent {
    let account: SimAccount
    var rng: SimRandom
    let slot: Int
    let weekday: Int
    let hardwareUSDPerDay: Double
    let energyUSDPerDay: Double
    let capacityTokensPerDay: Double
    /// How negative a 30-day margin it bears before leaving.
    let patience: Double
    var status: ProviderStatus = .prospective
    var joinedDay = 0
    var markup: Double
    /// Price per million tokens in ucairn (what it registered).
    var priceUcairn: UInt128 = 0
    var registeredPrice: UInt128 = 0
    // Daily history (newest last), trimmed to 60 days.
    var revenueUSD: [Double] = []
    var costUSD: [Double] = []
    var utilization: [Double] = []
    var servedToday: Double = 0
    var revenueTodayUcairn: UInt128 = 0
    var lifetimeRevenueUcairn: UInt128 = 0
    var lastClaimed: [UInt64: UInt128] = [:]

    func margin(days: Int) -> Double? {
        let n = min(days, revenueUSD.count)
        guard n >= min(days, 7) else { return nil }
        let r = revenueUSD.suffix(n).reduce(0, +)
        let c = costUSD.suffix(n).reduce(0, +)
        return c > 0 ? (r - c) / c : nil
    }

    func averageUtilization(days: Int) -> Double {
        let u = utilization.suffix(days)
        return u.isEmpty ? 0.7 : u.reduce(0, +) / Double(u.count)
    }
}

/// A client's channel to one provider: what it escrowed and the cumulative voucher it signed.
struct ClientChannel {
    let id: UInt64
    let provider: Int
    var deposit: UInt128
    var cumulative: UInt128 = 0
    var perModel: [UInt64: UInt128] = [:]
    var usage: [UInt64: (tokens: UInt64, requests: UInt64)] = [:]
    var spentYesterday: UInt128 = 0
    var spentToday: UInt128 = 0
    var closing = false
}

/// A client (a gateway serving many apps): a share of the day's demand, a willingness to pay in USD, channels to
/// the providers it buys from, funded by buying CAIRN through the pool.
struct ClientAgent {
    let account: SimAccount
    let voucherKey: PrivateKey
    var rng: SimRandom
    let share: Double
    let wtpUSD: Double
    var channels: [Int: ClientChannel] = [:]
    var servedToday: Double = 0
    var demandToday: Double = 0
}

/// A liquidity provider: adds when the pool's fee yield beats what it asks, removes when it falls well short.
struct LiquidityAgent {
    let account: SimAccount
    var rng: SimRandom
    let slot: Int
    let weekday: Int
    let requiredYield: Double
}

/// A speculator: trades on the week's trend (or against it), a few thousand USD at a time.
struct SpeculatorAgent {
    let account: SimAccount
    var rng: SimRandom
    let slot: Int
    let contrarian: Bool
}
