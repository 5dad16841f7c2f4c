/// Closed-form parameter counts of a KRU and of the models it is compared with, for `kru params`.
///
/// Each formula is written out in its function's documentation with the paper (and, where the paper is
/// silent, the reference code) it follows. All counts are real numbers; ``ParameterBreakdown`` states the
/// counting rules. Formulas: ``kru(_:terms:)``, ``dense(_:hiddenSize:inputWidth:outputWidth:biases:)``
/// (RNN, LSTM, GRU), ``uRNN(hiddenSize:inputWidth:outputWidth:)``,
/// ``fullCapacityURNN(hiddenSize:inputWidth:outputWidth:)``,
/// ``eurnn(hiddenSize:inputWidth:outputWidth:layout:complex:)``, ``scoRNN(hiddenSize:inputWidth:outputWidth:)``;
/// equal-parameter sizes: ``largestHiddenSize(_:withinBudget:inputWidth:outputWidth:biases:)``.
public enum ParameterCounts {}
