/// Finds stop sequences in generated text as it streams, one character at a time, and holds back the characters
/// that might still turn out to be the start of one, so the client never sees any part of a stop sequence
/// (OpenAI's rule: the text ends just before the stop sequence, which is not returned).
///
/// Tokens are single Unicode scalars, so a match always starts and ends on token boundaries. The matcher keeps the
/// longest suffix of the text that is a proper prefix of some stop sequence; any match must end at the newest
/// character and lie within that suffix plus it. When several sequences match, the longest (the one that started
/// first) wins.
struct StopSequenceMatcher<Item> {
    private let sequences: [[Unicode.Scalar]]
    private var held: [(item: Item, scalar: Unicode.Scalar)] = []

    init(_ sequences: [String]) {
        self.sequences = sequences.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
            .sorted { $0.count > $1.count }
    }

    /// Takes one new character: passes `release` the items now known not to be part of a stop sequence, in order,
    /// and returns whether a stop sequence ended with this character (then the text is over and the held items are
    /// dropped). Without stop sequences the character is released at once, and nothing is allocated.
    mutating func append(_ item: Item, scalar: Unicode.Scalar, release: (Item) -> Void) -> Bool {
        guard !sequences.isEmpty else {
            release(item)
            return false
        }
        held.append((item, scalar))
        let tail = held.map(\.scalar)
        if let match = sequences.first(where: { tail.count >= $0.count && tail.suffix($0.count).elementsEqual($0) }) {
            held.prefix(held.count - match.count).forEach { release($0.item) }
            held.removeAll()
            return true
        }
        let keep = longestSuffixStartingASequence(tail)
        held.prefix(held.count - keep).forEach { release($0.item) }
        held.removeFirst(held.count - keep)
        return false
    }

    /// Releases the held items because the text ended (by length or time) without completing a stop sequence.
    mutating func flush(release: (Item) -> Void) {
        held.forEach { release($0.item) }
        held.removeAll()
    }

    /// The length of the longest suffix of `tail` that is a proper prefix of some stop sequence.
    private func longestSuffixStartingASequence(_ tail: [Unicode.Scalar]) -> Int {
        let longest = min(tail.count, (sequences.first?.count ?? 1) - 1)
        for length in stride(from: longest, through: 1, by: -1) {
            let suffix = tail.suffix(length)
            if sequences.contains(where: { $0.count > length && $0.prefix(length).elementsEqual(suffix) }) {
                return length
            }
        }
        return 0
    }
}
