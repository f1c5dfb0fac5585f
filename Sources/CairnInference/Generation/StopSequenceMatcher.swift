/// Holds back generated text that might be the start of a stop sequence, and detects a complete one.
struct StopSequenceMatcher {
    private let stops: [String]
    private var held = ""
    private(set) var emitted = ""

    init(stops: [String]) { self.stops = stops }

    /// Adds `piece`; returns the text safe to emit now and whether a stop sequence was completed.
    mutating func append(_ piece: String) -> (text: String, stopped: Bool) {
        held += piece
        if stops.isEmpty { return release(held.endIndex, stopped: false) }
        if let cut = stops.compactMap({ held.firstRange(of: $0)?.lowerBound }).min() {
            return release(cut, stopped: true)
        }
        // Keep the longest suffix that is a prefix of some stop sequence.
        var keepFrom = held.endIndex
        var index = held.startIndex
        while index < held.endIndex {
            let suffix = held[index...]
            if stops.contains(where: { $0.hasPrefix(suffix) }) {
                keepFrom = index
                break
            }
            index = held.index(after: index)
        }
        return release(keepFrom, stopped: false)
    }

    /// Releases the held text at the end of generation.
    mutating func finish() -> String { release(held.endIndex, stopped: false).text }

    private mutating func release(_ end: String.Index, stopped: Bool) -> (text: String, stopped: Bool) {
        let text = String(held[..<end])
        held = stopped ? "" : String(held[end...])
        emitted += text
        return (text, stopped)
    }
}
