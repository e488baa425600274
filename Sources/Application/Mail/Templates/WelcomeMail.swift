extension MailTemplates {
    /// At registration: welcome, and the link that confirms the address.
    static let welcome = MailTemplate(
        subject: "Welcome to {{product}}: confirm your address",
        text: """
            Welcome to {{product}}.

            Please confirm that {{email}} is your address by opening this link
            (it works once, until {{expires}}):

            {{link}}

            If you did not create this account, ignore this message.
            """,
        html: """
            <p>Welcome to {{product}}.</p>
            <p>Please confirm that <strong>{{email}}</strong> is your address (the link works once, until {{expires}}):</p>
            <p><a href="{{link}}">Confirm my address</a></p>
            <p style="font-size: 0.85em;">Or paste this into your browser: {{link}}</p>
            <p>If you did not create this account, ignore this message.</p>
            """)

    /// At registration, when the address is already confirmed (it never is today; kept
    /// for accounts confirmed before the mail was sent).
    static let welcomeConfirmed = MailTemplate(
        subject: "Welcome to {{product}}",
        text: """
            Welcome to {{product}}. Your account {{email}} is ready.
            """,
        html: """
            <p>Welcome to {{product}}. Your account <strong>{{email}}</strong> is ready.</p>
            """)
}
