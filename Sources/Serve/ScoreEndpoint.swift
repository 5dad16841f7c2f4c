import Foundation
import Hummingbird

/// `POST /v1/score` with `{"model": …, "text": …}`: how well the model predicts the text — the numbers of
/// `kru score` (the same computation): mean NLL, bits per character (= per token), perplexity, each ± its standard
/// error, and top-1 accuracy.
///
/// Scoring is teacher-forced over a text of up to `maxScoreCharacters` and runs on a thread of its own
/// (``ScoreSlots``: at most `maxConcurrentScores` at once, more wait their turn), so it never stalls generation's
/// batch steps. `seconds` is the pass's own time, without the wait.
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

    func respond(_ request: Request, context: ServeRequestContext) async throws -> Response {
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
        // A client that goes away while its text waits for a scoring thread takes it out of the queue.
        let cancellation = RequestCancellation()
        let liveness = try await context.connectionLiveness()
        liveness.watch(cancellation)
        defer { liveness.unwatch(cancellation) }
        let (score, seconds) = try await slots.run(cancellation: cancellation) {
            let started = ContinuousClock.now
            let score = model.score(tokens: tokens)
            return (score, (ContinuousClock.now - started) / .seconds(1))
        }
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
