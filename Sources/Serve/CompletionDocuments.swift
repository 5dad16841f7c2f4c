import Foundation

/// The JSON shapes of OpenAI's completions API, for whole responses and for event-stream chunks, built in one
/// place so that both carry the same fields.
struct CompletionDocuments {
    let id: String
    let created: Int
    let model: String
    let seed: UInt64

    init(model: String, seed: UInt64) {
        id = "cmpl-" + (0..<12).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        self.seed = seed
    }

    /// A choice: its text (so far, or a streamed piece), logprobs if asked for, and the finish reason once known.
    /// `offset` is the choice's text length before `tokens`, in characters (logprobs' `text_offset`).
    func choice(index: Int, tokens: [GeneratedToken], logprobs: Bool, offset: Int, finishReason: String?) -> JSONValue {
        .object([
            ("index", .int(index)),
            ("text", .string(tokens.map(\.text).joined())),
            ("logprobs", logprobs ? Self.logprobs(tokens, offset: offset) : .null),
            ("finish_reason", finishReason.map(JSONValue.string) ?? .null),
        ])
    }

    /// A `text_completion` object: a whole response, or one chunk of a stream (then without usage).
    func completion(choices: [JSONValue], usage: (prompt: Int, completion: Int)?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("object", "text_completion"), ("created", .int(created)),
            ("model", .string(model)), ("choices", .array(choices)),
        ]
        if let usage {
            members.append(("usage", .object([
                ("prompt_tokens", .int(usage.prompt)), ("completion_tokens", .int(usage.completion)),
                ("total_tokens", .int(usage.prompt + usage.completion)),
            ])))
        }
        // Not in OpenAI's API: the seed actually used, so an unseeded request can be repeated exactly.
        members.append(("seed", .uint(seed)))
        return .object(members)
    }

    /// OpenAI's logprobs object: the characters, ln p of each, the most probable alternatives of each, and where
    /// each starts in the text. A first character drawn without context has no model probability: null.
    private static func logprobs(_ tokens: [GeneratedToken], offset: Int) -> JSONValue {
        var offsets: [JSONValue] = []
        var position = offset
        for token in tokens {
            offsets.append(.int(position))
            position += token.text.unicodeScalars.count
        }
        return .object([
            ("tokens", .array(tokens.map { .string($0.text) })),
            ("token_logprobs", .array(tokens.map { $0.logprobs.map { .double($0.chosen) } ?? .null })),
            ("top_logprobs", .array(tokens.map { token in
                token.logprobs.map { lp in .object(lp.top.map { ($0.text, .double($0.logprob)) }) }
                    ?? .null
            })),
            ("text_offset", .array(offsets)),
        ])
    }
}
