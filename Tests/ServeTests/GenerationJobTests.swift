import Foundation
import Testing
@testable import KRUServe

/// A job's end frees its batch slot before the end is posted: a client that sends its next request as soon as it
/// hears of the end then finds the slot free, instead of queueing behind sequences that run on. And a stream's
/// characters reach the writer as one event per hand-over, in order.
@Suite struct GenerationJobTests {
    static let model: ServedModel = {
        let path = TestModels.modelsFolder.appendingPathComponent(TestModels.kru + ".kru").path
        return try! ServedModel(name: TestModels.kru, path: path)
    }()

    static func job(maxTokens: Int, stop: [String] = [], mailbox: EventMailbox) -> GenerationJob {
        let settings = GenerationSettings(prompt: [], maxTokens: maxTokens, temperature: 1, topK: 0, topP: 1, seed: 1,
                                          stop: stop, logprobs: nil)
        return GenerationJob(choice: 0, settings: settings, model: model, deadline: .now + .seconds(60),
                             cancellation: RequestCancellation(), mailbox: mailbox)
    }

    static func hasEnd(_ events: [GenerationEvent]) -> Bool {
        events.contains { if case .finished = $0 { true } else { false } }
    }

    /// Runs `job` to its end on uniform logits.
    static func runToEnd(_ job: GenerationJob) {
        let logits = [Float](repeating: 0, count: model.vocabularySize)
        guard job.start() else { return }
        while !job.isFinished { _ = logits.withUnsafeBufferPointer { job.advance(logits: $0) } }
    }

    @Test(arguments: [0, 1, 7])
    func theSlotIsReleasedOnceAndBeforeTheEndIsPosted(maxTokens: Int) {
        let mailbox = EventMailbox(interval: nil)
        let job = Self.job(maxTokens: maxTokens, mailbox: mailbox)
        var endPostedAtRelease: [Bool] = []
        job.releaseSlot = { endPostedAtRelease.append(Self.hasEnd(mailbox.pendingEvents)) }
        Self.runToEnd(job)
        #expect(endPostedAtRelease == [false])
        #expect(Self.hasEnd(mailbox.pendingEvents))
        job.finish(.cancelled)
        #expect(endPostedAtRelease == [false], "a second finish releases nothing")
    }

    @Test func aStreamsCharactersShareOneEventPerHandOver() {
        let mailbox = EventMailbox(interval: nil)
        let job = Self.job(maxTokens: 7, mailbox: mailbox)
        Self.runToEnd(job)
        let events = mailbox.pendingEvents
        #expect(events.count == 2)
        guard events.count == 2, case .tokens(0, let tokens) = events[0],
              case .finished(0, .length, let generated) = events[1] else {
            Issue.record("expected the characters, then the end: \(events)")
            return
        }
        #expect(tokens.count == 7 && generated == 7)
    }
}
