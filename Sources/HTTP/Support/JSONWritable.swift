import Application

/// A value that writes its own JSON (`JSONWriter`): the job responses, the API's most
/// frequent.
protocol JSONWritable {
    func write(to json: inout JSONWriter)
}
