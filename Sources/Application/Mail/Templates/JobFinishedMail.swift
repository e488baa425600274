extension MailTemplates {
    /// A job submitted with `"notify": true` has ended.
    static let jobFinished = MailTemplate(
        subject: "Job {{job}} {{status}}",
        text: """
            Your job {{job}} ({{command}}) ended at {{time}}: {{status}}{{outcome}}.

            {{job_link}}
            """,
        html: """
            <p>Your job <strong>{{job}}</strong> (<code>{{command}}</code>) ended at {{time}}:
            <strong>{{status}}</strong>{{outcome}}.</p>
            <p><a href="{{job_link}}">Open the job</a></p>
            """)
}
