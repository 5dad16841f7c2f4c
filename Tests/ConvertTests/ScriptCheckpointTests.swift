import Foundation
import KRUFormat
import KRUInference
import Testing
@testable import KRUConvert

/// Checkpoints written by pytorch/examples word_language_model and spro/char-rnn.pytorch themselves
/// (Tests/Fixtures/scripts, made by tools/make_script_fixtures.py with real PyTorch): every layout converts with
/// `--factors none`, no map and no flag, and reproduces PyTorch's logits.
struct ScriptCheckpointTests {
    static let folder = CheckpointFixtures.root.appendingPathComponent("scripts")

    /// One model's oracle: NAME.json.
    struct Oracle {
        let name: String
        let json: [String: Any]
        var inputs: [[Int]] { json["inputs"] as! [[Int]] }
        var logits: [Float] { (json["logits"] as! [[[NSNumber]]]).flatMap { $0.flatMap { $0.map(\.floatValue) } } }
        var vocabulary: [String] { json["vocabulary"] as! [String] }
        var structure: [String: Any] { json["structure"] as! [String: Any] }
        var otherLayouts: [String] { (json["other_layouts"] as! [[String: Any]]).map { $0["file"] as! String } }
        var cell: String { structure["cell"] as! String }
        var isWordModel: Bool { json["tokenizer"] as! String == "words" }
        /// The vocabulary the script used, with its tokenizer.
        var modelVocabulary: Vocabulary {
            try! Vocabulary(vocabulary, tokenizer: isWordModel ? .words : .characters)
        }

        init(_ name: String) {
            self.name = name
            let data = try! Data(contentsOf: folder.appendingPathComponent(name + ".json"))
            json = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        }
    }

    static let models = ["wlm_lstm", "wlm_lstm_square", "wlm_lstm_tied", "wlm_gru", "wlm_rnn_tanh", "wlm_rnn_relu",
                         "wlm_rnn_relu_tied", "charrnn_gru", "charrnn_lstm"]

    /// Every checkpoint file with the model whose logits it must reproduce.
    static let files: [(file: String, model: String)] = models.flatMap { model in
        ([model + ".pt"] + Oracle(model).otherLayouts).map { ($0, model) }
    }

    static func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    @Test(arguments: files)
    func convertsWithoutHelpAndReproducesPyTorch(file: String, model: String) throws {
        let oracle = Oracle(model)
        let checkpoint = try Checkpoint.read(path: Self.path(file))
        // A state dict cannot say that its nn.RNN used ReLU; everything else records it.
        let stateDictOfReLU = file.hasSuffix(".state.pt") && oracle.cell == "rnn_relu"
        let dense = try DenseRecurrentCheckpoint.recognize(checkpoint, nonlinearity: stateDictOfReLU ? .rnnReLU : nil)
        #expect(dense.cell.rawValue == oracle.cell)
        #expect(dense.layers.count == oracle.structure["layers"] as? Int)
        #expect(dense.tiedReadout == oracle.structure["tied"] as? Bool)
        #expect(dense.map.embedding == "encoder.weight" && dense.map.readoutWeight == "decoder.weight")
        let result = try Converter.convert(dense, vocabulary: oracle.modelVocabulary, factors: .none, source: file)
        // A tied readout is stored once.
        #expect(result.description.tiedReadout == dense.tiedReadout)
        #expect(result.tensors.contains { $0.name == ModelTensorName.readoutWeight } == !dense.tiedReadout)
        let inputs = oracle.inputs
        let logits = try result.model().outputs(tokens: inputs.flatMap { $0 }, batch: inputs.count,
                                                steps: inputs[0].count)
        let expected = oracle.logits
        #expect(logits.count == expected.count)
        // The oracle must depend on the input: a dead network (logits = the readout bias at every step) would check
        // nothing of the recurrence.
        let width = oracle.vocabulary.count
        #expect(zip(expected, expected.dropFirst(width)).contains { abs($0 - $1) > 1e-2 }, "\(file): constant logits")
        let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "\(file): max |Δlogit| = \(worst)")
    }

    /// The vocabularies a user gives without writing one: word_language_model's Dictionary rebuilt from its data
    /// folder (train, valid, test), char-rnn's string.printable.
    @Test func vocabulariesComeFromWhatTheScriptsUsed() throws {
        let files = VocabularySource.corpusFiles(Self.folder.appendingPathComponent("wlm-corpus").path)
        let texts = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(try VocabularySource.words(ofCorpus: texts) == Oracle("wlm_lstm").modelVocabulary)
        #expect(VocabularySource.Preset.printable.vocabulary == Oracle("charrnn_gru").modelVocabulary)
        let module = try Checkpoint.read(path: Self.path("wlm_gru.pt"))
        #expect(VocabularySource.hint(for: module)?.contains("--vocab-corpus") == true)
    }

    /// A converted word model scores word_language_model's test text as PyTorch does: the mean NLL of every token
    /// after the first, from the zero state (tools/make_script_fixtures.py computed it with PyTorch).
    @Test(arguments: models.filter { $0.hasPrefix("wlm") })
    func wordModelsScoreTheirTestTextAsPyTorchDoes(model: String) throws {
        let oracle = Oracle(model)
        let dense = try DenseRecurrentCheckpoint.recognize(try Checkpoint.read(path: Self.path(model + ".pt")))
        let converted = try Converter.convert(dense, vocabulary: oracle.modelVocabulary, factors: .none, source: model)
        let kru = try converted.model()
        let text = try String(contentsOfFile: Self.folder.appendingPathComponent("wlm-corpus/test.txt").path,
                              encoding: .utf8)
        let score = try kru.score(tokens: try kru.tokenizer!.encode(text))
        #expect(score.tokenCount == oracle.json["score_predicted_tokens"] as? Int)
        let expected = try #require(oracle.json["score_mean_nll"] as? Double)
        #expect(abs(score.meanNLL - expected) < 1e-4, "\(model): \(score.meanNLL) vs PyTorch \(expected)")
    }

    /// The whole-module files name the modules as PyTorch built them.
    @Test func wholeModulesAreRecordedWithTheirTypes() throws {
        let checkpoint = try Checkpoint.read(path: Self.path("wlm_rnn_relu.pt"))
        #expect(checkpoint.modules.map(\.path) == ["", "drop", "encoder", "rnn", "decoder"])
        #expect(checkpoint.module(at: "")?.type == "model.RNNModel")
        let rnn = try #require(checkpoint.module(at: "rnn"))
        #expect(rnn.type == "torch.nn.modules.rnn.RNN")
        #expect(rnn.attribute("mode") == .string("RNN_RELU"))
        #expect(rnn.attribute("nonlinearity") == .string("relu"))
        #expect(rnn.tensorNames == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                    "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        // The tensors are those of model.state_dict(), in its order.
        let state = try Checkpoint.read(path: Self.path("wlm_rnn_relu.state.pt"))
        #expect(checkpoint.tensors.map(\.name) == state.tensors.map(\.name))
        for (a, b) in zip(checkpoint.tensors, state.tensors) { #expect(try a.floats() == b.floats(), "\(a.name)") }
    }

    @Test func tiedWeightsShareOneStorage() throws {
        let tied = try Checkpoint.read(path: Self.path("wlm_lstm_tied.pt"))
        let encoder = try #require(tied["encoder.weight"]), decoder = try #require(tied["decoder.weight"])
        #expect(encoder.sharesElements(with: decoder))
        #expect(encoder.storageName == decoder.storageName)
        let untied = try Checkpoint.read(path: Self.path("wlm_lstm_square.pt"))
        #expect(try !#require(untied["encoder.weight"]).sharesElements(with: #require(untied["decoder.weight"])))
    }

    /// A state dict of an nn.RNN says nothing of its nonlinearity: tanh unless told; a whole module says relu,
    /// and a flag that contradicts it is an error.
    @Test func reluIsRecognisedFromTheModuleAndContradictionsRefused() throws {
        let state = try Checkpoint.read(path: Self.path("wlm_rnn_relu.state.pt"))
        #expect(try DenseRecurrentStructure(state).cell == .rnnTanh)
        #expect(try DenseRecurrentStructure(state, nonlinearity: .rnnReLU).cell == .rnnReLU)
        let module = try Checkpoint.read(path: Self.path("wlm_rnn_relu.pt"))
        #expect(try DenseRecurrentStructure(module).cell == .rnnReLU)
        // Run as tanh, the model would be another model: PyTorch's logits are far away.
        let oracle = Oracle("wlm_rnn_relu")
        let asTanh = try Converter.convert(DenseRecurrentCheckpoint.recognize(state),
                                           vocabulary: oracle.modelVocabulary, factors: .none, source: "state dict")
        let inputs = oracle.inputs
        let tanhLogits = try asTanh.model().outputs(tokens: inputs.flatMap { $0 }, batch: inputs.count,
                                                    steps: inputs[0].count)
        #expect(zip(tanhLogits, oracle.logits).map { abs($0 - $1) }.max()! > 0.1)
        let contradiction = "the checkpoint records its nn.RNN as rnn_relu; --nonlinearity tanh contradicts it"
        #expect(throws: ConversionError(contradiction)) {
            try DenseRecurrentStructure(module, nonlinearity: .rnnTanh)
        }
    }

    /// With emsize = nhid, shapes cannot tell the embedding from the readout; names, biases and order can.
    @Test func sameShapeEmbeddingAndReadoutAreToldApartWithoutModules() throws {
        let state = try Checkpoint.read(path: Self.path("charrnn_lstm.state.pt"))
        #expect(state.modules.isEmpty)
        let structure = try DenseRecurrentStructure(state)
        #expect(structure.map == TensorMap(embedding: "encoder.weight", recurrentPrefix: "rnn.",
                                           readoutWeight: "decoder.weight", readoutBias: "decoder.bias"))
        #expect(structure.reasons.first == "embedding: encoder.weight, named like an embedding")
        // Renamed so that names say nothing: the bias decides the readout, order the embedding.
        func renamed(_ name: String) -> String {
            name.replacingOccurrences(of: "encoder", with: "a").replacingOccurrences(of: "decoder", with: "b")
        }
        let anonymous = Checkpoint(format: .npz, tensors: try state.tensors.map {
            CheckpointTensor(name: renamed($0.name), dtype: $0.dtype, shape: $0.shape, values: try $0.values())
        })
        let found = try DenseRecurrentStructure(anonymous)
        #expect(found.map.embedding == "a.weight" && found.map.readoutWeight == "b.weight")
        #expect(found.reasons.contains("embedding: a.weight, the one without a bias"))
    }

    /// A map that leaves out a bias the checkpoint has would silently change every output.
    @Test func aMapThatDropsTheReadoutBiasIsRefused() throws {
        let state = try Checkpoint.read(path: Self.path("charrnn_lstm.state.pt"))
        let map = TensorMap(embedding: "encoder.weight", recurrentPrefix: "rnn.", readoutWeight: "decoder.weight",
                            readoutBias: nil)
        let message = "the checkpoint has decoder.bias but the map leaves it out: dropping the readout bias would "
            + "change every output; name it as \"readout_bias\" in the map"
        #expect(throws: ConversionError(message)) {
            try DenseRecurrentStructure(state, map: map)
        }
    }
}
