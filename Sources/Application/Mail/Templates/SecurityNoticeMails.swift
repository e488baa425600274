extension MailTemplates {
    static let passwordChanged = MailTemplate(
        subject: "Your {{product}} password was changed",
        text: """
            The password of {{email}} was {{how}} at {{time}} from {{address}}.
            Every other session of the account was signed out.

            If this was not you, reset your password now: {{reset_link}}
            """,
        html: """
            <p>The password of <strong>{{email}}</strong> was {{how}} at {{time}} from {{address}}.
            Every other session of the account was signed out.</p>
            <p>If this was not you, <a href="{{reset_link}}">reset your password now</a>.</p>
            """)

    static let mfaChanged = MailTemplate(
        subject: "Two-factor login {{change}} on your {{product}} account",
        text: """
            Two-factor login was {{change}} on {{email}} at {{time}} from {{address}}.

            If this was not you, reset your password now: {{reset_link}}
            """,
        html: """
            <p>Two-factor login was <strong>{{change}}</strong> on <strong>{{email}}</strong> at {{time}}
            from {{address}}.</p>
            <p>If this was not you, <a href="{{reset_link}}">reset your password now</a>.</p>
            """)

    static let newLoginAddress = MailTemplate(
        subject: "New login to your {{product}} account",
        text: """
            Your account {{email}} was logged in to at {{time}} from {{address}},
            an address it had not used before.

            If this was you, there is nothing to do. If not, reset your password:
            {{reset_link}}
            Your security events: {{security_link}}
            """,
        html: """
            <p>Your account <strong>{{email}}</strong> was logged in to at {{time}} from <strong>{{address}}</strong>,
            an address it had not used before.</p>
            <p>If this was you, there is nothing to do. If not, <a href="{{reset_link}}">reset your password</a>
            and look at <a href="{{security_link}}">your security events</a>.</p>
            """)
}
