/// One message's subject and bodies, with `{{name}}` placeholders. The composer fills
/// them; in the HTML body every value is escaped, so nothing a user chose (a job name)
/// becomes markup. Edit the templates in this folder to change what the service says.
public struct MailTemplate: Hashable, Sendable {
    public let subject: String
    public let text: String
    /// The HTML body's content; `MailTemplates.htmlPage` wraps it in the shared page.
    public let html: String
}

enum MailTemplates {
    /// The page every HTML message shares.
    static func htmlPage(title: String, content: String, productName: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>\(title)</title></head>
        <body style="font-family: sans-serif; color: #1d2433; max-width: 36em; margin: 2em auto;">
        \(content)
        <p style="color: #6b7280; font-size: 0.85em;">— \(productName)</p>
        </body>
        </html>
        """
    }

    /// Text bodies end with the same signature.
    static func textSignature(productName: String) -> String { "\n-- \n\(productName)\n" }
}
