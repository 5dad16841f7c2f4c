import Foundation
import KRUFormat
import KRUInference

/// The teacher of a distilling character run (`kru finetune --teacher`): a `.kru` model that the engine
/// (KRUInference) runs over the same streams as the student, one batched session whose stream b follows the
/// student's stream b.
///
/// The teacher's state follows the student's exactly: carried from window to window, and reset to zero where the
/// student's is (when the streams wrap to a new epoch). It is not saved in checkpoints: whenever a window does not
/// start where the last one ended — the first window of a run resumed from a checkpoint — the session is reset and
/// fed the current epoch's steps up to the window, which gives the state an uninterrupted run has there (a stream's
/// outputs do not depend on how its steps were cut into windows), so a resumed run equals an uninterrupted one.
/// The logits are the engine's (Float) and become Double for the loss, which is computed in Double.
public final class DistillationTeacher {
    /// The teacher model the engine runs.
    public let model: KRUModel
    /// The temperature and weight its targets carry.
    public let distillation: Distillation
    private var session: KRUSession?
    /// The stream position the session's state belongs to (steps of every stream fed since the last reset).
    private var position = 0

    /// A teacher for a student whose tokens are `vocabulary` (a character model with a categorical output at every
    /// step); `model` must have the same vocabulary, in the same order, and such an output.
    /// - Throws: ``TrainingRunError`` of kind `.data` naming what differs.
    public init(model: KRUModel, vocabulary: [Unicode.Scalar], distillation: Distillation,
                name: String) throws(TrainingRunError) {
        let description = model.description
        guard description.outputKind == .categorical, description.outputSteps == .every else {
            throw .data("\(name): the teacher needs a categorical output at every step (a character model); it has "
                        + "a \(description.outputKind.rawValue) output at \(description.outputSteps.rawValue) step(s)")
        }
        guard let teacherVocabulary = description.vocabulary,
              teacherVocabulary == Vocabulary(characters: vocabulary) else {
            let theirs = description.vocabulary.map { "\($0.count) \($0.tokenizer.rawValue) tokens" } ?? "vectors"
            throw .data("\(name): the teacher's vocabulary (\(theirs)) is not the student's (\(vocabulary.count) "
                        + "characters, in the same order): distillation compares their outputs token by token")
        }
        self.model = model
        self.distillation = distillation
    }

    /// The teacher's targets for steps `start ..< start + length` of `streams` streams of `tokens`, cut as
    /// ``CharacterTask/batch(tokens:streams:start:length:)`` cuts them: row t·B + b holds the logits after stream b's
    /// input at step start + t.
    public func softTargets(tokens: [Int], streams: Int, start: Int, length: Int) -> SoftTargets {
        let streamLength = CharacterTask.streamLength(tokenCount: tokens.count, streams: streams)
        precondition(length >= 1 && start >= 0 && start + length <= streamLength, "window \(start)+\(length)")
        let session: KRUSession
        if let existing = self.session, existing.batchSize == streams, position == start {
            session = existing
        } else {
            session = self.session?.batchSize == streams ? self.session! : model.session(batchSize: streams)
            session.reset()
            for step in 0..<start { feed(session, tokens, streams, streamLength, step) }
            self.session = session
        }
        let k = model.description.outputWidth
        var logits = [Double](repeating: 0, count: length * streams * k)
        for t in 0..<length {
            feed(session, tokens, streams, streamLength, start + t)
            session.withOutputs { outputs in
                for i in 0..<streams * k { logits[t * streams * k + i] = Double(outputs[i]) }
            }
        }
        position = start + length
        return SoftTargets(logits: logits, distillation: distillation)
    }

    /// Feeds step `step` of every stream.
    private func feed(_ session: KRUSession, _ tokens: [Int], _ streams: Int, _ streamLength: Int, _ step: Int) {
        let column = (0..<streams).map { tokens[$0 * streamLength + step] }
        // The vocabularies are equal and the tokens encoded against it: every id is in range.
        try! session.feed(tokens: column)
    }
}
