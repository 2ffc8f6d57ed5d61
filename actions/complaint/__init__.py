"""The complaint desk in the chat: the intake form, then status, ratings and reopening.

- `slots`: slot names and the words the form reads as controls.
- `texts`: every sentence the actions say, as data.
- `answers`: reading the citizen's answers, as pure functions (no Rasa, no database).
- `summary`: the summary card and the intake to file, from the slots (pure too).
- `shell`: what the actions share (the desk, reading the tracker, saying replies).
- `form`: starting `complaint_form`, reading its answers (validation), filing the ticket.
- `questions`: the form's questions (`action_ask_<slot>`).
- `followups`: after the form: status, rating, reopening.

The action server imports every module of the `actions` package (rasa-sdk walks
sub-packages), so each action here is registered once, under its domain.yml name.
"""
