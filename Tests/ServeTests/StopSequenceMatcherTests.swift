import Foundation
import Testing
import KRUInference
@testable import KRUServe

/// The streaming stop-sequence matcher against a direct definition on the whole text: the text ends at the start of
/// the stop occurrence that is completed first (the longest, among those completed by the same character).
struct StopSequenceMatcherTests {
    /// The oracle: scan the full text for the earliest end of any stop sequence.
    static func expected(_ text: [Character], stops: [String]) -> (text: String, stopped: Bool) {
        for end in 1...max(text.count, 1) where end <= text.count {
            let prefix = String(text[..<end])
            if let stop = stops.filter({ prefix.hasSuffix($0) }).max(by: { $0.count < $1.count }) {
                return (String(prefix.dropLast(stop.count)), true)
            }
        }
        return (String(text), false)
    }

    /// The matcher fed one character at a time, with the released characters collected (and flushed at the end).
    static func streamed(_ text: [Character], stops: [String]) -> (text: String, stopped: Bool, maxHeld: Int) {
        var matcher = StopSequenceMatcher<Character>(stops)
        var released = "", fed = 0, maxHeld = 0
        for character in text {
            fed += 1
            let stopped = matcher.append(character, scalar: character.unicodeScalars.first!) { released.append($0) }
            maxHeld = max(maxHeld, fed - released.count)
            if stopped { return (released, true, maxHeld) }
        }
        matcher.flush { released.append($0) }
        return (released, false, maxHeld)
    }

    @Test func agreesWithTheWholeTextDefinitionOnRandomTexts() {
        var generator = KRURandom(seed: 2024)
        let alphabet: [Character] = ["a", "b", "c", " "]
        for _ in 0..<3000 {
            func letter() -> Character { alphabet[generator.nextIndex(below: alphabet.count)] }
            let text = (0..<generator.nextIndex(below: 31)).map { _ in letter() }
            let stops = (0..<generator.nextIndex(below: 4)).map { _ in
                String((0...generator.nextIndex(below: 4)).map { _ in letter() })
            }
            let oracle = Self.expected(text, stops: stops)
            let result = Self.streamed(text, stops: stops)
            #expect(result.text == oracle.text && result.stopped == oracle.stopped, "\(String(text)) with \(stops)")
            // Never holds back more than the longest stop sequence minus one character (plus the one just fed).
            #expect(result.maxHeld <= max(stops.map(\.count).max() ?? 1, 1), "\(String(text)) with \(stops)")
        }
    }

    @Test func withoutStopsEverythingIsReleasedAtOnce() {
        var matcher = StopSequenceMatcher<Int>([])
        for i in 0..<5 {
            var released: [Int] = []
            let stopped = matcher.append(i, scalar: "x") { released.append($0) }
            #expect(released == [i] && !stopped)
        }
    }
}
