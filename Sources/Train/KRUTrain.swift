/// KRUTrain trains KRU and gated recurrent models with backpropagation through time and writes ordinary `.kru`
/// models. Filled in by the trainer issue.
public enum KRUTrainModule {}
