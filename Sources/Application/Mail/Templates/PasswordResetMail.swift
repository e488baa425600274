extension MailTemplates {
    /// The answer to `POST /auth/password-reset`.
    static let passwordReset = MailTemplate(
        subject: "Reset your {{product}} password",
        text: """
            Someone (we hope you) asked to reset the password of {{email}}.

            Open this link to choose a new one. It works once, until {{expires}}, and
            signs out every session of the account:

            {{link}}

            If you did not ask, ignore this message: your password stays as it is.
            """,
        html: """
            <p>Someone (we hope you) asked to reset the password of <strong>{{email}}</strong>.</p>
            <p><a href="{{link}}">Choose a new password</a> — the link works once, until {{expires}},
            and signs out every session of the account.</p>
            <p style="font-size: 0.85em;">Or paste this into your browser: {{link}}</p>
            <p>If you did not ask, ignore this message: your password stays as it is.</p>
            """)
}
