import Foundation
import KRUInference

/// Recurrent states after recently prefilled prompts, so that a prompt seen before — or one that starts with a
/// prompt seen before, such as a shared instruction — skips the characters already fed (llama.cpp's server keeps a
/// slot's prompt for the same reason). A recurrent model's whole context is its state, a few kilobytes, so an
/// entry is just that state and the logits after it; restoring it gives the stream exactly the values feeding the
/// prompt gives. The least recently used entries go first once the states exceed the byte budget.
///
/// One cache serves all of a model's batch lanes (each call takes a lock), so a prompt one lane has fed is found by
/// the others: with a cache per lane, every lane fed each shared prompt once and held its own copy of the state.
final class PromptStateCache: @unchecked Sendable {
    private struct Entry {
        let state: KRUSessionState
        let bytes: Int
        var lastUse: Int
    }

    private let capacityBytes: Int
    private let lock = NSLock()
    // Guarded by `lock`:
    private var entries: [[Int]: Entry] = [:]
    /// Entries per prompt length: the only lengths worth looking up.
    private var lengths: [Int: Int] = [:]
    private var bytes = 0
    private var uses = 0

    /// - Parameter capacityBytes: the states' bytes (and their prompts') kept at most; 0 keeps nothing.
    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// The longest cached prompt that `prompt` starts with, and the single-stream state after it.
    func longestPrefix(of prompt: [Int]) -> (length: Int, state: KRUSessionState)? {
        lock.lock()
        defer { lock.unlock() }
        for length in lengths.keys.sorted(by: >) where length <= prompt.count {
            let key = Array(prompt[..<length])
            guard let entry = entries[key] else { continue }
            uses += 1
            entries[key]?.lastUse = uses
            return (length, entry.state)
        }
        return nil
    }

    /// Keeps `state`, a single-stream state after `prompt`, evicting the least recently used entries to make room.
    /// The state is taken only when it may be kept (not with a zero budget, nor for a prompt already cached), and
    /// outside the lock, so the other lanes' lookups do not wait for the copy.
    func insert(_ prompt: [Int], state makeState: @autoclosure () -> KRUSessionState) {
        guard capacityBytes > 0, lock.withLock({ entries[prompt] == nil }) else { return }
        let state = makeState()
        let size = state.valueCount * MemoryLayout<Float>.size + prompt.count * MemoryLayout<Int>.size
        guard size <= capacityBytes else { return }
        lock.lock()
        defer { lock.unlock() }
        guard entries[prompt] == nil else { return }  // another lane cached it meanwhile
        while bytes + size > capacityBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            remove(oldest.key)
        }
        uses += 1
        entries[prompt] = Entry(state: state, bytes: size, lastUse: uses)
        lengths[prompt.count, default: 0] += 1
        bytes += size
    }

    /// With the lock held.
    private func remove(_ prompt: [Int]) {
        guard let entry = entries.removeValue(forKey: prompt) else { return }
        bytes -= entry.bytes
        lengths[prompt.count]! -= 1
        if lengths[prompt.count] == 0 { lengths[prompt.count] = nil }
    }
}
