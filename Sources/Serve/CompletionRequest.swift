import Foundation

/// A `POST /v1/completions` body (OpenAI's completions API, with `top_k` added), validated against the limits.
struct CompletionRequest: Sendable {
    static let fields = ["model", "prompt", "max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "n",
                         "stream", "stream_options", "logprobs", "echo", "user"]

    var model: String
    /// One prompt, or several (`prompt` as a list of strings): each gets `n` choices.
    var prompts: [String]
    /// Characters to generate per choice (OpenAI's default, 16, when absent).
    var maxTokens = 16
    var temperature = 1.0
    var topK = 0
    var topP = 1.0
    /// nil: the server draws one and reports it in the response.
    var seed: UInt64?
    var stop: [String] = []
    var n = 1
    var stream = false
    /// `stream_options.include_usage`: end the stream with a chunk holding the usage.
    var includeUsage = false
    /// Alternatives to report per token, nil for none.
    var logprobs: Int?
    /// Whether each choice's text starts with its prompt (with the prompt's logprobs when `logprobs` is given).
    var echo = false

    /// Checks every setting; the first that is out of range is refused with a 400 naming it and the range.
    func validate(_ limits: ServerLimits) throws {
        guard !model.isEmpty else { throw APIError.badRequest("model must name a served model (see GET /v1/models)") }
        guard !prompts.isEmpty else { throw APIError.badRequest("prompt must not be an empty list") }
        for (index, prompt) in prompts.enumerated() {
            let promptLength = prompt.unicodeScalars.count
            guard promptLength <= limits.maxPromptCharacters else {
                throw APIError.badRequest(
                    "\(promptName(index)) has \(promptLength) characters; the limit is \(limits.maxPromptCharacters)")
            }
        }
        guard (0...limits.maxTokens).contains(maxTokens) else {
            throw APIError.badRequest("max_tokens must be between 0 and \(limits.maxTokens), got \(maxTokens)")
        }
        guard temperature.isFinite, temperature >= 0 else {
            throw APIError.badRequest(
                "temperature must be a finite number ≥ 0 (0 = always the most probable), got \(temperature)")
        }
        guard topK >= 0 else { throw APIError.badRequest("top_k must be ≥ 0 (0 = off), got \(topK)") }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw APIError.badRequest("top_p must be in (0, 1] (1 = off), got \(topP)")
        }
        guard (1...limits.maxChoices).contains(n) else {
            throw APIError.badRequest("n must be between 1 and \(limits.maxChoices), got \(n)")
        }
        guard prompts.count * n <= limits.maxChoices else {
            throw APIError.badRequest("\(prompts.count) prompts × n = \(n) make \(prompts.count * n) choices; "
                                      + "the limit is \(limits.maxChoices)")
        }
        guard stop.count <= limits.maxStopSequences else {
            throw APIError.badRequest("stop has \(stop.count) sequences; the limit is \(limits.maxStopSequences)")
        }
        for sequence in stop {
            guard !sequence.isEmpty, sequence.unicodeScalars.count <= limits.maxStopCharacters else {
                throw APIError.badRequest("each stop sequence must have 1 to \(limits.maxStopCharacters) characters")
            }
        }
        if let logprobs, !(0...limits.maxLogprobs).contains(logprobs) {
            throw APIError.badRequest("logprobs must be between 0 and \(limits.maxLogprobs), got \(logprobs)")
        }
    }

    /// How messages name prompt `index`: "prompt" for a single one, "prompt 2" (counting from 0) in a list.
    func promptName(_ index: Int) -> String { prompts.count == 1 ? "prompt" : "prompt \(index)" }
}

extension CompletionRequest: Decodable {
    init(from decoder: any Decoder) throws {
        let body = try JSONObjectReader(decoder, allowed: Self.fields)
        model = try body.required("model", String.self, expected: "a string")
        // Absent or empty: the first character is drawn uniformly (the zero state has seen nothing).
        prompts = try body.strings("prompt", expected: "a string or a list of strings (token ids are not supported)")
            ?? [""]
        maxTokens = try body.optional("max_tokens", Int.self, expected: "an integer") ?? maxTokens
        temperature = try body.optional("temperature", Double.self, expected: "a number") ?? temperature
        topK = try body.optional("top_k", Int.self, expected: "an integer") ?? topK
        topP = try body.optional("top_p", Double.self, expected: "a number") ?? topP
        seed = try body.optional("seed", UInt64.self, expected: "an integer from 0 to 18446744073709551615")
        n = try body.optional("n", Int.self, expected: "an integer") ?? n
        stream = try body.optional("stream", Bool.self, expected: "true or false") ?? stream
        if let options = try body.optional("stream_options", StreamOptions.self,
                                           expected: "an object such as {\"include_usage\": true}") {
            guard stream else { throw APIError.badRequest("stream_options is only allowed with \"stream\": true") }
            includeUsage = options.includeUsage
        }
        logprobs = try body.optional("logprobs", Int.self, expected: "an integer (alternatives per token)")
        echo = try body.optional("echo", Bool.self, expected: "true or false") ?? echo
        _ = try body.optional("user", String.self, expected: "a string")  // an end-user id; accepted, not used
        stop = try body.strings("stop", expected: "a string or a list of strings") ?? []
    }
}

/// OpenAI's `stream_options`.
struct StreamOptions: Decodable {
    var includeUsage = false

    init(from decoder: any Decoder) throws {
        let body = try JSONObjectReader(decoder, allowed: ["include_usage"], name: "stream_options")
        includeUsage = try body.optional("include_usage", Bool.self, expected: "true or false") ?? false
    }
}
