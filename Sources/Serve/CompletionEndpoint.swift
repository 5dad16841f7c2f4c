import Hummingbird

/// `POST /v1/completions`: validates the request, queues one job per choice on the model's batch worker, and
/// answers with the whole completion or, with `"stream": true`, with server-sent events as characters are made.
/// A client that disconnects cancels its jobs at the next step, queued or running. With several prompts, choice
/// p·n + i is prompt p's choice i.
struct CompletionEndpoint: Sendable {
    let catalog: ModelCatalog
    let limits: ServerLimits
    /// Where the prompts of `echo` with `logprobs` are scored.
    let scoreSlots: ScoreSlots

    func respond(_ request: Request, context: ServeRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CompletionRequest.self, maxBytes: limits.maxBodyBytes,
                                                timeout: limits.readTimeout)
        try body.validate(limits)
        let entry = try catalog.entry(body.model)
        var prompts: [[Int]] = []
        for (index, text) in body.prompts.enumerated() {
            do {
                prompts.append(try entry.model.encode(text))
            } catch {
                throw APIError.badRequest("\(body.promptName(index)) has \(error.message)")
            }
        }
        let seed = body.seed ?? TokenPicker.systemSeed()
        // A stream's writer gets characters at most once per stream interval; a whole completion only needs them
        // when a choice ends.
        let mailbox = EventMailbox(interval: body.stream ? .seconds(limits.streamInterval) : nil)
        let cancellation = RequestCancellation()
        let deadline = ContinuousClock.now + .seconds(limits.requestTimeout)
        // A prompt's choice i uses seed + i, so its choice 0 is `kru sample --seed` with the same settings.
        let jobs = prompts.enumerated().flatMap { index, prompt in
            (0..<body.n).map { choice in
                GenerationJob(choice: index * body.n + choice,
                              settings: GenerationSettings(prompt: prompt, maxTokens: body.maxTokens,
                                                           temperature: body.temperature, topK: body.topK,
                                                           topP: body.topP, seed: seed &+ UInt64(choice),
                                                           stop: body.stop, logprobs: body.logprobs),
                              model: entry.model, deadline: deadline, cancellation: cancellation, mailbox: mailbox)
            }
        }
        // From here until the response ends, the client going away cancels the echo pass and the jobs.
        let liveness = try await context.connectionLiveness()
        liveness.watch(cancellation)
        let echoed: [[GeneratedToken]]
        do {
            echoed = try await echo(prompts, of: body, model: entry.model, cancellation: cancellation)
            try entry.worker.submit(jobs)
        } catch {
            liveness.unwatch(cancellation)
            throw error
        }
        let run = CompletionRun(documents: CompletionDocuments(model: body.model, seed: seed),
                                echoed: echoed.flatMap { Array(repeating: $0, count: body.n) },
                                promptTokens: prompts.reduce(0) { $0 + $1.count }, logprobs: body.logprobs != nil,
                                includeUsage: body.includeUsage, limits: limits, mailbox: mailbox)
        if body.stream {
            return run.streamingResponse(cancellation: cancellation, liveness: liveness)
        }
        defer { liveness.unwatch(cancellation) }
        return Response.json(try await run.collect())
    }

    /// What `echo` puts before each prompt's choices: nothing without it; the prompt's characters; with `logprobs`,
    /// also their log-probabilities, from a teacher-forced pass over every prompt on a scoring thread, which stops
    /// (throwing `CancellationError`) when the client goes away.
    private func echo(_ prompts: [[Int]], of body: CompletionRequest, model: ServedModel,
                      cancellation: RequestCancellation) async throws -> [[GeneratedToken]] {
        guard body.echo else { return prompts.map { _ in [] } }
        guard let top = body.logprobs else { return prompts.map(model.echo) }
        let echoed = try await scoreSlots.run(cancellation: cancellation) { () -> [[GeneratedToken]]? in
            var echoed: [[GeneratedToken]] = []
            for prompt in prompts {
                guard let tokens = model.echo(prompt, logprobs: top, until: { cancellation.isCancelled }) else {
                    return nil
                }
                echoed.append(tokens)
            }
            return echoed
        }
        guard let echoed else { throw CancellationError() }
        return echoed
    }
}

/// The events of one accepted request, turned into its response.
struct CompletionRun: Sendable {
    let documents: CompletionDocuments
    /// Per choice, what its text starts with: its prompt with `echo`, else nothing.
    let echoed: [[GeneratedToken]]
    var choices: Int { echoed.count }
    let promptTokens: Int
    let logprobs: Bool
    /// Whether a stream ends with a chunk holding the usage (OpenAI's `stream_options.include_usage`).
    let includeUsage: Bool
    let limits: ServerLimits
    let mailbox: EventMailbox

    /// The whole completion once every choice has finished.
    func collect() async throws -> JSONValue {
        var tokens = echoed
        var reasons = [String?](repeating: nil, count: choices)
        var completionTokens = 0
        var open = choices
        while open > 0 {
            let events = await mailbox.take()
            try Task.checkCancellation()
            for event in events {
                switch event {
                case .tokens(let choice, let pieces):
                    tokens[choice] += pieces
                case .finished(let choice, let reason, let count):
                    if reason == .cancelled { throw CancellationError() }  // the client went away
                    if let failure = failure(reason) { throw failure }
                    reasons[choice] = reason.apiName
                    completionTokens += count
                    open -= 1
                }
            }
        }
        let documents = self.documents
        let list = (0..<choices).map { i in
            documents.choice(index: i, tokens: tokens[i], logprobs: logprobs, offset: 0, finishReason: reasons[i])
        }
        return documents.completion(choices: list, usage: (promptTokens, completionTokens))
    }

    /// A `text/event-stream` response: `data:` events holding OpenAI's chunk objects with the text as it is made
    /// (one or more characters each), a last chunk per choice with its finish reason, the usage if asked for,
    /// then `data: [DONE]`. An error after the stream started (time out,
    /// shutdown) is sent as a `data:` event holding the error object, and ends the stream.
    func streamingResponse(cancellation: RequestCancellation, liveness: ConnectionLiveness) -> Response {
        let run = self
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { liveness.unwatch(cancellation) }
            do {
                try await run.stream(to: &writer)
            } catch {
                // A failed write means the client is gone: stop its generation.
                cancellation.cancel()
                throw error
            }
            try await writer.finish(nil)
        })
    }

    private func stream(to writer: inout any ResponseBodyWriter) async throws {
        var offsets = [Int](repeating: 0, count: choices)
        var open = choices
        var completionTokens = 0
        // The echoed prompts go first, a chunk per choice, before any character is generated.
        var text = ""
        for (choice, prompt) in echoed.enumerated() where !prompt.isEmpty {
            let chunk = documents.choice(index: choice, tokens: prompt, logprobs: logprobs, offset: 0,
                                         finishReason: nil)
            Self.appendEvent(documents.completion(choices: [chunk], usage: nil), to: &text)
            offsets[choice] = Self.characterCount(prompt)
        }
        if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
        while open > 0 {
            let events = await mailbox.take()
            try Task.checkCancellation()
            text = ""
            // The characters of one choice that arrived together become one chunk (clients concatenate chunks).
            var pending: (choice: Int, tokens: [GeneratedToken])?
            func flush() {
                guard let (choice, tokens) = pending else { return }
                let chunk = documents.choice(index: choice, tokens: tokens, logprobs: logprobs,
                                             offset: offsets[choice], finishReason: nil)
                offsets[choice] += Self.characterCount(tokens)
                Self.appendEvent(documents.completion(choices: [chunk], usage: nil), to: &text)
                pending = nil
            }
            for event in events {
                switch event {
                case .tokens(let choice, let pieces):
                    if pending?.choice == choice {
                        pending!.tokens += pieces
                    } else {
                        flush()
                        pending = (choice, pieces)
                    }
                case .finished(let choice, let reason, let count):
                    flush()
                    if reason == .cancelled { throw CancellationError() }  // the client went away
                    if let failure = failure(reason) {
                        Self.appendEvent(failure.json, to: &text)
                        try await writer.write(ByteBuffer(string: text))
                        return
                    }
                    let chunk = documents.choice(index: choice, tokens: [], logprobs: logprobs,
                                                 offset: offsets[choice], finishReason: reason.apiName)
                    Self.appendEvent(documents.completion(choices: [chunk], usage: nil), to: &text)
                    completionTokens += count
                    open -= 1
                }
            }
            flush()
            if open == 0 {
                if includeUsage {
                    Self.appendEvent(documents.completion(choices: [], usage: (promptTokens, completionTokens)),
                                     to: &text)
                }
                text += "data: [DONE]\n\n"
            }
            try await writer.write(ByteBuffer(string: text))
        }
    }

    /// The characters `tokens` add to a choice's text (logprobs' `text_offset` counts these).
    private static func characterCount(_ tokens: [GeneratedToken]) -> Int {
        tokens.reduce(0) { $0 + $1.text.unicodeScalars.count }
    }

    private static func appendEvent(_ document: JSONValue, to text: inout String) {
        text += "data: "
        document.write(to: &text)
        text += "\n\n"
    }

    /// The error that ends a request whose choice ended for `reason`, if that is not a normal end (or the client
    /// going away, which needs no answer).
    private func failure(_ reason: FinishReason) -> APIError? {
        switch reason {
        case .length, .stop, .cancelled: nil
        case .timeout:
            APIError(.serviceUnavailable, "the completion did not finish within the request time limit of "
                     + "\(formatSeconds(limits.requestTimeout)) s (queueing included); ask for fewer tokens or retry")
        case .shutdown: APIError(.serviceUnavailable, "the server shut down before the completion finished",
                                 retryAfter: 1)
        }
    }
}
