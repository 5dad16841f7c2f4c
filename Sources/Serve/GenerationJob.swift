import Foundation

/// Set when nobody will read a request's results any more (the client disconnected); shared by its choices.
final class RequestCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var actions: [@Sendable () -> Void] = []

    func cancel() {
        let pending: [@Sendable () -> Void] = lock.withLock {
            guard !cancelled else { return [] }
            cancelled = true
            defer { actions = [] }
            return actions
        }
        pending.forEach { $0() }
    }

    /// Runs `action` when the request is cancelled, or at once if it already is.
    func onCancel(_ action: @escaping @Sendable () -> Void) {
        let already: Bool = lock.withLock {
            if !cancelled { actions.append(action) }
            return cancelled
        }
        if already { action() }
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// What a choice asks for, fixed when the request is accepted.
struct GenerationSettings: Sendable {
    var prompt: [Int]
    var maxTokens: Int
    var temperature: Double
    var topK: Int
    var topP: Double
    var seed: UInt64
    var stop: [String]
    /// Alternatives per token for `logprobs`, nil for none.
    var logprobs: Int?
}

/// One choice of a completion request while a batch worker generates it: one stream of the model's batch.
///
/// The sequence follows the engine's single-stream generation step for step — feed the prompt, then sample from
/// the logits and feed the sample back; with no prompt the first character is drawn uniformly — so a seeded choice
/// gives `kru sample`'s text whichever batch it shares. Its mutable state belongs to the worker thread; other
/// threads only read the immutable parts and the cancellation.
final class GenerationJob: @unchecked Sendable {
    let choice: Int
    let settings: GenerationSettings
    let deadline: ContinuousClock.Instant
    let enqueued: ContinuousClock.Instant
    let cancellation: RequestCancellation
    private let mailbox: EventMailbox
    private let model: ServedModel

    private var picker: TokenPicker
    private var matcher: StopSequenceMatcher<GeneratedToken>
    private var promptPosition = 0
    private var generated = 0
    /// What the next batch step feeds this stream.
    private(set) var nextInput = 0
    private(set) var isFinished = false
    /// From arrival to the first generated character, until the worker takes it for its histogram.
    private var pendingTimeToFirstToken: Duration?
    /// Set by the lane that runs the job: called once, when the job finishes, before its end is posted — so the lane
    /// counts the slot as free before the client can hear of the end and send its next request.
    var releaseSlot: (() -> Void)?

    init(choice: Int, settings: GenerationSettings, model: ServedModel, deadline: ContinuousClock.Instant,
         cancellation: RequestCancellation, mailbox: EventMailbox) {
        self.choice = choice
        self.settings = settings
        self.model = model
        self.deadline = deadline
        self.enqueued = .now
        self.cancellation = cancellation
        self.mailbox = mailbox
        picker = TokenPicker(vocabularySize: model.vocabularySize, temperature: settings.temperature,
                             topK: settings.topK, topP: settings.topP, seed: settings.seed)
        matcher = StopSequenceMatcher(settings.stop)
    }

    /// Why the job must end now although it has not finished (client gone, time up), or nil.
    func interruption(at now: ContinuousClock.Instant) -> FinishReason? {
        if cancellation.isCancelled { return .cancelled }
        if now >= deadline { return .timeout }
        return nil
    }

    /// Prepares the job; returns false if it finished without needing the model (`max_tokens` 0, or a single
    /// character drawn without context). A job with a prompt then needs ``promptWasFed()`` or
    /// ``feedPromptInBatch()``.
    func start() -> Bool {
        guard settings.maxTokens > 0 else {
            finish(.length)
            return false
        }
        guard settings.prompt.isEmpty else { return true }
        let token = picker.pickWithoutContext()
        return accept(GeneratedToken(token: token, text: model.text(of: token), logprobs: nil))
    }

    /// The whole prompt was fed to this job's stream outside the batch (prefill); its logits are the stream's.
    func promptWasFed() {
        promptPosition = settings.prompt.count
    }

    /// True between the batch step that fed the last character of a prompt fed by the batch and the job's next
    /// ``advance(logits:)``: the stream's state is then the state after the prompt, which the lane can cache.
    /// (A prefilled job's first character is drawn before any batch step, so this is never true for it.)
    var hasJustFedItsPrompt: Bool {
        !isFinished && generated == 0 && !settings.prompt.isEmpty && promptPosition == settings.prompt.count
    }

    /// The prompt is fed by the batch steps, one character per step.
    func feedPromptInBatch() {
        nextInput = settings.prompt[0]
        promptPosition = 1
    }

    /// Takes the logits of the step that fed ``nextInput`` (or of the prefill): moves on to the next prompt
    /// character, or samples the next character. Returns whether a character was generated.
    func advance(logits: UnsafeBufferPointer<Float>) -> Bool {
        guard !isFinished else { return false }
        if promptPosition < settings.prompt.count {
            nextInput = settings.prompt[promptPosition]
            promptPosition += 1
            return false
        }
        let token = picker.pick(from: logits)
        let logprobs = settings.logprobs.map {
            TokenLogProbabilities(logits: logits, chosen: token, top: $0, text: model.text(of:))
        }
        _ = accept(GeneratedToken(token: token, text: model.text(of: token), logprobs: logprobs))
        return true
    }

    /// The time from arrival to the first generated character, once, right after it was generated.
    func takeTimeToFirstToken() -> Duration? {
        defer { pendingTimeToFirstToken = nil }
        return pendingTimeToFirstToken
    }

    /// Ends the job, releasing held-back characters unless the text ended at a stop sequence.
    func finish(_ reason: FinishReason) {
        guard !isFinished else { return }
        isFinished = true
        let release = releaseSlot
        releaseSlot = nil
        release?()
        if reason == .length || reason == .timeout {
            matcher.flush { mailbox.post($0, choice: choice) }
        }
        mailbox.post(.finished(choice: choice, reason: reason, completionTokens: generated))
    }

    /// Records a generated character; returns whether the job continues.
    private func accept(_ token: GeneratedToken) -> Bool {
        generated += 1
        if generated == 1 { pendingTimeToFirstToken = .now - enqueued }
        let stopped = matcher.append(token, scalar: model.scalar(of: token.token)) { mailbox.post($0, choice: choice) }
        if stopped {
            finish(.stop)
        } else if generated == settings.maxTokens {
            finish(.length)
        } else {
            nextInput = token.token
        }
        return !isFinished
    }
}
