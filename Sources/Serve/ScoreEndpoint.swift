import Foundation
import Hummingbird

/// `POST /v1/score` with `{"model": …, "text": …}`: how well the model predicts the text — the numbers of
/// `kru score` (the same computation): mean NLL, bits per character (= per token), perplexity, each ± its standard
/// error, and top-1 accuracy.
///
/// Scoring is teacher-forced over a text of up to `maxScoreCharacters` and runs on a thread of its own, at most
/// `maxConcurrentScores` at once (503 beyond), so it never stalls generation's batch steps.
struct ScoreEndpoint: Sendable {
    static let fields = ["model", "text"]

    let catalog: ModelCatalog
    let limits: ServerLimits
    let slots: ScoreSlots

    struct Body: Decodable {
        let model: String
        let text: String

        init(from decoder: any Decoder) throws {
            let body = try JSONObjectReader(decoder, allowed: ScoreEndpoint.fields)
            model = try body.required("model", String.self, expected: "a string")
            text = try body.required("text", String.self, expected: "a string")
        }
    }

    func respond(_ request: Request) async throws -> Response {
        let body = try await request.decodeJSON(Body.self, maxBytes: limits.maxBodyBytes, timeout: limits.readTimeout)
        let entry = try catalog.entry(body.model)
        let length = body.text.unicodeScalars.count
        guard length >= 2 else {
            throw APIError.badRequest("text must have at least 2 characters (the first is only context)")
        }
        guard length <= limits.maxScoreCharacters else {
            throw APIError.badRequest("text has \(length) characters; the limit is \(limits.maxScoreCharacters)")
        }
        let tokens: [Int]
        do {
            tokens = try entry.model.encode(body.text)
        } catch {
            throw APIError.badRequest("text has \(error.message)")
        }
        let model = entry.model
        let started = ContinuousClock.now
        let score = try await slots.run { model.score(tokens: tokens) }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let bitsError = score.standardError / M_LN2
        return Response.json(.object([
            ("object", "text_score"), ("model", .string(body.model)),
            ("characters", .int(length)), ("tokens", .int(score.tokenCount)),
            ("mean_nll", .double(score.meanNLL)), ("mean_nll_stderr", .double(score.standardError)),
            ("bits_per_token", .double(score.bitsPerToken)), ("bits_per_token_stderr", .double(bitsError)),
            ("bits_per_char", .double(score.bitsPerToken)), ("bits_per_char_stderr", .double(bitsError)),
            ("perplexity", .double(score.perplexity)), ("perplexity_stderr", .double(score.perplexityError)),
            ("top1_accuracy", .double(score.accuracy)), ("seconds", .double(seconds)),
        ]))
    }
}

/// The teacher-forced passes over texts (`/v1/score`, and the prompts of `echo` with `logprobs`), each on a thread
/// of its own, at most `capacity` at once.
final class ScoreSlots: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var used = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Runs `work` on a thread of its own, off Swift's cooperative pool where a long pass would delay every other
    /// request's I/O; when `capacity` passes are running already, refuses with 503 and `Retry-After`.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let taken = lock.withLock {
            guard used < capacity else { return false }
            used += 1
            return true
        }
        guard taken else {
            throw APIError(.serviceUnavailable, "\(capacity) texts are being scored; retry later", retryAfter: 1)
        }
        return await withCheckedContinuation { continuation in
            Thread {
                let result = work()
                self.lock.withLock { self.used -= 1 }
                continuation.resume(returning: result)
            }.start()
        }
    }
}
