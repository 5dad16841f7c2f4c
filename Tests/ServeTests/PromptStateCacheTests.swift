import Foundation
import KRUInference
import Testing
@testable import KRUServe

/// `PromptStateCache` on its own: the longest cached prefix is found, and the least recently used entry goes first
/// when the byte budget is full.
struct PromptStateCacheTests {
    /// The zoo's small Kronecker LSTM.
    static func model() throws -> KRUModel {
        try KRUModel(path: TestModels.modelsFolder.appendingPathComponent(TestModels.lstm + ".kru").path)
    }

    /// The single-stream state after `prompt` (token ids).
    static func state(after prompt: [Int], in model: KRUModel) throws -> KRUSessionState {
        let session = model.session()
        for token in prompt { try session.feed(token: token) }
        return session.snapshot()
    }

    @Test func longestPrefixAndLeastRecentlyUsedEviction() throws {
        let model = try Self.model()
        let (a, b, c) = ([1, 2], [3, 4], [5, 6])
        let states = try [a, b, c, a + [7]].map { try Self.state(after: $0, in: model) }
        // Room for exactly two entries with two-token prompts.
        let entryBytes = states[0].valueCount * MemoryLayout<Float>.size + 2 * MemoryLayout<Int>.size
        let cache = PromptStateCache(capacityBytes: 2 * entryBytes)
        cache.insert(a, state: states[0])
        cache.insert(b, state: states[1])
        #expect(cache.longestPrefix(of: [9, 9]) == nil)
        let found = cache.longestPrefix(of: a + [7, 8])
        let prefix = try #require(found)
        #expect(prefix.length == 2 && prefix.state == states[0])
        cache.insert(c, state: states[2])  // evicts b, the least recently used
        #expect(cache.longestPrefix(of: b) == nil)
        #expect(cache.longestPrefix(of: a)?.state == states[0])
        #expect(cache.longestPrefix(of: c)?.state == states[2])
        // A three-token prompt does not fit beside two entries: the oldest (a) goes, then the longest match wins.
        cache.insert(a + [7], state: states[3])
        #expect(cache.longestPrefix(of: a) == nil)
        #expect(cache.longestPrefix(of: a + [7, 8])?.length == 3)
        #expect(cache.longestPrefix(of: c) == nil, "c went too: two entries plus a longer prompt exceed the budget")
    }

    @Test func zeroBudgetKeepsNothing() throws {
        let model = try Self.model()
        let cache = PromptStateCache(capacityBytes: 0)
        let state = try Self.state(after: [1], in: model)
        cache.insert([1], state: state)
        #expect(cache.longestPrefix(of: [1]) == nil)
    }
}
