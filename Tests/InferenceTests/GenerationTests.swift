import Foundation
import Testing
@testable import KRUInference

/// Generation: the same seed gives the same text; the text generator and the async sequence yield what the plain
/// token stream yields; stop sequences cut the text at their first occurrence; log-probabilities match a log-softmax
/// computed independently; a session continues exactly where generation ended; misuse throws.
struct GenerationTests {
    static func model() throws -> KRUModel {
        try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent("torch_gru_h8_l3.kru").path)
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() throws {
        let model = try Self.model()
        let options = GenerationOptions(length: 64, seed: 11)
        let first = Array(try TokenStream(model: model, prime: [0, 1], options: options))
        #expect(first.count == 64)
        #expect(Array(try TokenStream(model: model, prime: [0, 1], options: options)) == first)
        var other = options
        other.seed = 12
        #expect(Array(try TokenStream(model: model, prime: [0, 1], options: other)) != first)
    }

    @Test func asyncSequenceYieldsTheTokenStreamsText() async throws {
        let model = try Self.model()
        let options = GenerationOptions(length: 40, temperature: 0.7, topK: 5, seed: 3)
        let tokenizer = try #require(model.tokenizer)
        let expected = Array(try TokenStream(model: model, prime: try tokenizer.encode("abc"), options: options))
        var ids: [Int] = []
        var text = ""
        var reasons: [FinishReason?] = []
        for await token in try model.generate(prime: "abc", options: options) {
            ids.append(token.id)
            text += token.text
            reasons.append(token.finishReason)
        }
        #expect(ids == expected)
        #expect(text == tokenizer.decode(expected))
        #expect(reasons.last == .length && reasons.dropLast().allSatisfy { $0 == nil })
    }

    @Test func temperatureZeroFollowsTheArgmax() throws {
        let model = try Self.model()
        let greedy = Array(try TokenStream(model: model, prime: [2],
                                           options: GenerationOptions(length: 20, temperature: 0, seed: 1)))
        let session = model.session()
        try session.feed(token: 2)
        for token in greedy {
            let best = session.withOutputs { logits in
                logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            }
            #expect(token == best)
            try session.feed(token: token)
        }
    }

    /// The oracle is the unstopped text of the same seed: the stopped text is its prefix before the first
    /// occurrence of a stop sequence (searched in the generated text only).
    @Test(arguments: [["a"], ["ba", "zzz"], ["cab", "b"], ["never-appears-q"]])
    func stopSequencesCutAtTheirFirstOccurrence(stops: [String]) throws {
        let model = try Self.model()
        let tokenizer = try #require(model.tokenizer)
        let options = GenerationOptions(length: 300, temperature: 1.3, seed: 5)
        let full = tokenizer.decode(Array(try TokenStream(model: model, prime: try tokenizer.encode("b"),
                                                          options: options)))
        let session = try GenerationSession(model: model)
        try session.append("b")
        var stopped = options
        stopped.stop = stops
        let tokens = Array(try session.tokens(stopped))
        let text = tokens.map(\.text).joined()
        let cut = stops
            .compactMap { stop in
                full.range(of: stop).map { (full.distance(from: full.startIndex, to: $0.lowerBound), stop) }
            }
            .min { $0.0 < $1.0 || ($0.0 == $1.0 && stops.firstIndex(of: $0.1)! < stops.firstIndex(of: $1.1)!) }
        if let (offset, stop) = cut {
            #expect(text == String(full.prefix(offset)))
            #expect(tokens.last?.finishReason == .stop(stop) && tokens.last?.text == "")
            #expect(session.tokenCount == 1 + offset + stop.count)
        } else {
            #expect(text == full)
            #expect(tokens.last?.finishReason == .length)
        }
        #expect(tokens.dropLast().allSatisfy { $0.finishReason == nil })
    }

    /// Words and bytes give several scalars per token (or none, for a byte that starts a character), so a stop
    /// sequence may start or end inside a token. The oracle is the unstopped text, decoded whole after the prime
    /// (``Tokenizer/decode(_:previous:)``): the stopped text is its prefix before the stop sequence's first
    /// occurrence, whichever token that falls in.
    @Test(arguments: ["kru_words_tied_lstm.kru", "kru_bytes_gru_kron.kru"])
    func stopSequencesCutInsideWordsAndBytes(file: String) throws {
        let model = try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent(file).path)
        let tokenizer = try #require(model.tokenizer)
        let prime = [1, 0]
        let options = GenerationOptions(length: 200, temperature: 1.2, seed: 8)
        let ids = Array(try TokenStream(model: model, prime: prime, options: options))
        let full = Array(tokenizer.decode(ids, previous: prime.last).unicodeScalars)
        // Stops taken from the text: one starting mid-way through a token's text, one across a token boundary.
        for (start, length) in [(full.count / 2 + 1, 3), (full.count / 3, 5)] {
            let stop = String(String.UnicodeScalarView(full[start..<(start + length)]))
            let first = try #require(full.firstRange(of: Array(stop.unicodeScalars))).lowerBound
            let session = try GenerationSession(model: model)
            try session.append(tokens: prime)
            var stopped = options
            stopped.stop = [stop]
            let tokens = Array(try session.tokens(stopped))
            #expect(tokens.map(\.text).joined() == String(String.UnicodeScalarView(full[..<first])), "\(stop)")
            #expect(tokens.last?.finishReason == .stop(stop) && tokens.last?.text == "")
        }
        // Without a stop, the streamed pieces are the whole decoded text.
        let session = try GenerationSession(model: model)
        try session.append(tokens: prime)
        #expect(Array(try session.tokens(options)).map(\.text).joined() == String(String.UnicodeScalarView(full)))
    }

    @Test func unboundedLengthEndsAtTheStopSequence() throws {
        let session = try GenerationSession(model: try Self.model())
        let tokens = Array(try session.tokens(GenerationOptions(length: nil, seed: 2, stop: ["a"])))
        #expect(tokens.last?.finishReason == .stop("a"))
        #expect(!tokens.map(\.text).joined().contains("a"))
    }

    @Test func logProbabilitiesAreTheModelsLogSoftmax() throws {
        let model = try Self.model()
        let session = try GenerationSession(model: model)
        try session.append("ab")
        let mirror = model.session()
        for token in try model.tokenizer!.encode("ab") { try mirror.feed(token: token) }
        for token in try session.tokens(GenerationOptions(length: 30, temperature: 0.5, topK: 3, seed: 9)) {
            let logits = mirror.outputValues().map(Double.init)
            let top = logits.max()!
            let expected = logits[token.id] - top - log(logits.map { exp($0 - top) }.reduce(0, +))
            #expect(abs(token.logProbability - expected) < 1e-12)
            try mirror.feed(token: token.id)
        }
    }

    @Test func aSessionContinuesWhereGenerationEndedAndBranchesAreIndependent() throws {
        let model = try Self.model()
        let session = try GenerationSession(model: model)
        try session.append("abc")
        let branch = session.branch()
        let options = GenerationOptions(length: 25, seed: 4, stop: ["ca"])
        let generated = Array(try session.tokens(options))
        // The branch, fed the text generated and the stop sequence (which the session read, but which is not
        // emitted), reaches the same state.
        var consumed = generated.map(\.text).joined()
        if case .stop(let stop) = generated.last?.finishReason { consumed += stop }
        try branch.append(consumed)
        #expect(branch.state == session.state)
        // A branch taken before generating generates the same tokens.
        let fresh = try GenerationSession(model: model)
        try fresh.append("abc")
        let again = fresh.branch()
        #expect(Array(try fresh.tokens(options)) == Array(try again.tokens(options)))
    }

    @Test func misuseThrowsTypedErrors() throws {
        let model = try Self.model()
        let session = try GenerationSession(model: model)
        let cases: [(GenerationOptions, GenerationError)] = [
            (GenerationOptions(temperature: .nan, seed: 1), .invalidTemperature(.nan)),
            (GenerationOptions(temperature: -1, seed: 1), .invalidTemperature(-1)),
            (GenerationOptions(topK: -2, seed: 1), .invalidTopK(-2)),
            (GenerationOptions(topP: 0, seed: 1), .invalidTopP(0)),
            (GenerationOptions(topP: 1.5, seed: 1), .invalidTopP(1.5)),
            (GenerationOptions(length: -1, seed: 1), .invalidLength(-1)),
            (GenerationOptions(seed: 1, stop: [""]), .emptyStopSequence),
        ]
        for (options, expected) in cases {
            do {
                _ = try session.tokens(options)
                Issue.record("\(options) was accepted")
            } catch {
                // NaN != NaN, so compare the messages, which are what users see.
                #expect(error.description == expected.description)
                #expect(error.errorDescription == expected.description)
            }
        }
        #expect(throws: UnknownCharactersError.self) {
            try model.generate(prime: "xyz", options: GenerationOptions(seed: 1))
        }
        #expect(throws: ModelInputError.self) { try session.append(tokens: [99]) }
        let vectorModel = try KRUModel(path: ModelFixtureTests.directory
            .appendingPathComponent("kru_rect_2x3_3x2_2x2_vectors_regression.kru").path)
        #expect(throws: GenerationError.notATextModel) { try GenerationSession(model: vectorModel) }
        #expect(throws: ModelInputError.self) { try vectorModel.session().feed(token: 0) }
    }

    @Test func cancellingTheConsumerEndsAnUnboundedGeneration() async throws {
        let model = try Self.model()
        let task = Task {
            var count = 0
            for await _ in try model.generate(prime: "a", options: GenerationOptions(length: nil, seed: 1)) {
                count += 1
                if count == 1000 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return count
        }
        #expect(try await task.value == 1000)
    }
}

/// Batched generation against its oracle: n single-stream generations with the matching seeds.
struct BatchedGenerationTests {
    @Test(arguments: ["torch_gru_h8_l3.kru", "kru_lstm_kron_rank1.kru", "kru_unequal_4x4_2x2_onehot_split_tanh.kru"])
    func everyStreamEqualsTheSingleStreamOfItsSeed(file: String) throws {
        let model = try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent(file).path)
        let options = GenerationOptions(length: 50, temperature: 0.9, topP: 0.95, seed: UInt64.max - 1)
        let batched = Array(try BatchedTokenStream(model: model, prime: [1, 0], options: options, count: 4))
        #expect(batched.count == 50)
        for i in 0..<4 {
            var single = options
            single.seed = options.seed &+ UInt64(i)
            #expect(batched.map { $0[i] } == Array(try TokenStream(model: model, prime: [1, 0], options: single)))
        }
    }
}
