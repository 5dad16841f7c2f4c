import Foundation
import Testing
@testable import KRUServe

/// A job's end frees its batch slot before the end is posted: a client that sends its next request as soon as it
/// hears of the end then finds the slot free, instead of queueing behind sequences that run on.
@Suite struct GenerationJobTests {
    static let model: ServedModel = {
        let path = TestModels.modelsFolder.appendingPathComponent(TestModels.kru + ".kru").path
        return try! ServedModel(name: TestModels.kru, path: path)
    }()

    static func job(maxTokens: Int, mailbox: EventMailbox) -> GenerationJob {
        let settings = GenerationSettings(prompt: [], maxTokens: maxTokens, temperature: 1, topK: 0, topP: 1, seed: 1,
                                          stop: [], logprobs: nil)
        return GenerationJob(choice: 0, settings: settings, model: model, deadline: .now + .seconds(60),
                             cancellation: RequestCancellation(), mailbox: mailbox)
    }

    @Test func theSlotIsReleasedOnceAndBeforeTheEndIsPosted() {
        let mailbox = EventMailbox(interval: nil)
        let job = Self.job(maxTokens: 0, mailbox: mailbox)
        var pendingAtRelease: [Int] = []
        job.releaseSlot = { pendingAtRelease.append(mailbox.pendingEventCount) }
        #expect(job.start() == false, "max_tokens 0 ends the job at once")
        #expect(pendingAtRelease == [0])
        #expect(mailbox.pendingEventCount == 1)
        job.finish(.cancelled)
        #expect(pendingAtRelease == [0], "a second finish releases nothing")
        #expect(mailbox.pendingEventCount == 1)
    }

    @Test func aJobThatReachesMaxTokensReleasesItsSlotBeforeItsLastCharacters() {
        let mailbox = EventMailbox(interval: nil)
        let job = Self.job(maxTokens: 2, mailbox: mailbox)
        var pendingAtRelease: [Int] = []
        job.releaseSlot = { pendingAtRelease.append(mailbox.pendingEventCount) }
        #expect(job.start())  // no prompt: the first character is drawn without context
        let logits = [Float](repeating: 0, count: Self.model.vocabularySize)
        #expect(pendingAtRelease.isEmpty)
        let posted = mailbox.pendingEventCount
        _ = logits.withUnsafeBufferPointer { job.advance(logits: $0) }
        #expect(job.isFinished)
        #expect(pendingAtRelease == [posted + 1], "released after the last character, before the end")
        #expect(mailbox.pendingEventCount == posted + 2)
    }
}
