"""UI strings in Japanese (default) and English, and the relabelling that switches them live.

Scenario content is not translated here: each scenario already exists in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the strings are also used by the terminal (`simulator play`), without gradio
    import gradio as gr

DEFAULT_LANG = "ja"
LANG_CHOICES = [("日本語", "ja"), ("English", "en")]

STRINGS: dict[str, tuple[str, str]] = {
    # key: (ja, en)
    "app_title": ("接客ロールプレイ・トレーナー", "Customer-service role-play trainer"),
    "ui_language": ("表示言語", "UI language"),
    "tab_trainee": ("研修", "Trainee"),
    "tab_supervisor": ("スーパーバイザー", "Supervisor"),
    # trainee: choosing
    "f_language": ("シナリオの言語", "Scenario language"),
    "f_channel": ("チャネル", "Channel"),
    "f_difficulty": ("難易度", "Difficulty"),
    "any": ("すべて", "Any"),
    "scenario": ("シナリオ", "Scenario"),
    "your_name": ("お名前", "Your name"),
    "start": ("開始", "Start"),
    "resume": ("中断した対応を再開", "Resume unfinished"),
    "resumed": ("中断していた対応を再開しました。", "Resumed your unfinished contact."),
    "err_no_open": ("{name} さんの中断中の対応はありません。", "No unfinished contact for {name}."),
    "brief": ("ブリーフィング", "Brief"),
    "clock": ("シミュレーション時刻", "Simulated clock"),
    "chat": ("会話", "Conversation"),
    "message": ("あなたの発言", "Your message"),
    "message_ph": ("お客様への返答を入力…", "Type your reply to the customer…"),
    "send": ("送信", "Send"),
    "email_body": ("メール本文", "E-mail body"),
    "email_ph": ("お客様への返信メールを書いてください", "Write your reply e-mail to the customer"),
    "send_email": ("メールを送信", "Send e-mail"),
    "hold_seconds": ("保留（秒）", "Hold (seconds)"),
    "hold": ("保留にする", "Put on hold"),
    "end": ("対応を終了して採点", "End and score"),
    "try_again": ("もう一度挑戦", "Try again"),
    "score_card": ("採点結果", "Score card"),
    "chart": ("観点別スコア", "Score per criterion"),
    "transcript": ("会話記録（根拠を強調表示）", "Transcript (evidence highlighted)"),
    "history": ("あなたの履歴", "Your history"),
    "trend": ("合計点の推移", "Total over attempts"),
    # channels / difficulty / status
    "ch_phone": ("電話", "Phone"), "ch_chat": ("チャット", "Chat"), "ch_email": ("メール", "E-mail"),
    "d_easy": ("やさしい", "Easy"), "d_medium": ("ふつう", "Medium"), "d_hard": ("むずかしい", "Hard"),
    "status_idle": ("未開始", "Not started"),
    "status_live": ("対応中", "In progress"),
    "status_hold": ("保留予定 {s}秒（次の発言の前に保留します）", "On hold {s} s (applied before your next message)"),
    "status_ended": ("終了", "Ended"),
    "hold_notice": ("（お客様を{s}秒保留にしました。戻ったら一言どうぞ）",
                    "(You put the customer on hold for {s} s. Say something when you come back.)"),
    "ended_by_customer": ("お客様が通話を終了しました。", "The customer ended the contact."),
    # brief
    "b_summary": ("概要", "Summary"), "b_context": ("状況", "Context"), "b_order": ("ご注文情報", "Order"),
    "b_goal": ("目標", "Goal"), "b_customer": ("お客様", "Customer"),
    # score card
    "total": ("合計", "Total"),
    "criterion": ("観点", "Criterion"), "score": ("点", "Score"),
    "feedback": ("フィードバック", "Feedback"), "model_phrases": ("お手本フレーズ", "Model phrases"),
    "went_well": ("良かった点", "Went well"), "try_next": ("次に試すこと", "Try next"),
    "evidence": ("根拠", "Evidence"), "flags": ("注意", "Flags"),
    "h_date": ("日時", "Date"), "h_scenario": ("シナリオ", "Scenario"), "h_total": ("合計", "Total"), "h_final": ("確定 (SV優先)", "Final (supervisor first)"),
    "h_attempt": ("回目", "Attempt"), "h_trainee": ("研修生", "Trainee"), "h_session": ("セッション", "Session"),
    "h_turns": ("発話数", "Turns"), "h_judge": ("採点方式", "Scorer"), "h_id": ("ID", "Id"),
    "no_history": ("まだ履歴はありません。", "No history yet."),
    "role_customer": ("お客様", "Customer"), "role_trainee": ("あなた", "You"),
    # trainee errors
    "err_no_name": ("お名前を入力してください。", "Please enter your name."),
    "err_name_long": ("お名前は40文字以内にしてください。", "Your name must be at most 40 characters."),
    "err_no_scenario": ("シナリオを選んでください。", "Please choose a scenario."),
    "err_unknown_scenario": ("シナリオ「{id}」は見つかりません。", "Scenario '{id}' was not found."),
    "err_not_started": ("先にシナリオを開始してください。", "Start a scenario first."),
    "err_ended": ("この対応はすでに終了しています。「もう一度挑戦」で新しく始めてください。",
                  "This contact has already ended. Use 'Try again' to start a new one."),
    "err_empty": ("メッセージが空です。", "The message is empty."),
    "err_too_long": ("メッセージが長すぎます（{n}文字）。{max}文字以内にしてください。",
                     "The message is too long ({n} characters); the limit is {max}."),
    "err_hold_phone": ("保留は電話のシナリオでのみ使えます。", "Hold is only available on phone scenarios."),
    "err_hold_range": ("保留は1〜600秒で指定してください。", "Hold must be between 1 and 600 seconds."),
    "err_engine": ("お客様役の応答でエラーが発生しました: {e}", "The simulated customer failed: {e}"),
    "err_store": ("記録の保存に失敗しました: {e}", "Could not save to the store: {e}"),
    "err_score": ("採点に失敗しました: {e}", "Scoring failed: {e}"),
    "err_signin": ("サインインしてください（ページを再読み込み）。", "Please sign in (reload the page)."),
    "err_not_yours": ("この対応は別のアカウントのものです。", "This contact belongs to another account."),
    "signed_in_as": ("{u}（{login}・{role}）としてサインイン中", "Signed in as {u} ({login}, {role})"),
    "account_trainee": ("研修生", "trainee"), "account_supervisor": ("スーパーバイザー", "supervisor"),
    "sign_out": ("サインアウト", "Sign out"), "sign_in": ("サインイン", "Sign in"),
    "practice_mode": ("個人練習モード：サインインなしで使えます（このパソコンからのみ）。名前は記録の整理にだけ使われます。",
                      "Personal practice mode: no sign-in (this computer only). Your name only files your attempts."),
    "t_accounts": ("研修生アカウント", "Trainees"),
    "resume_pick": ("再開する対応（空欄なら最新）", "Contact to resume (empty: the newest)"),
    "a_name": ("氏名", "Name"), "a_login": ("ログインID", "Login id"), "a_group": ("グループ", "Group"),
    "a_role": ("役割", "Role"), "a_create": ("作成", "Create"),
    "a_csv": ("研修生CSV（name,login,group）", "Cohort CSV (name,login,group)"),
    "a_reset_login": ("パスワードを再発行するログインID", "Login id for a new one-time password"),
    "a_reset": ("再発行", "New password"), "a_refresh": ("一覧を更新", "Refresh list"),
    "a_issued": ("初回パスワード（この画面で一度だけ表示）", "One-time passwords (shown here once)"),
    "a_list": ("アカウント一覧", "Accounts"),
    "a_ready": ("{n} 件のアカウントを用意しました。初回パスワードを本人に渡してください（初回サインインで変更されます）。",
                "{n} account(s) ready; hand each person their one-time password (changed at the first sign-in)."),
    "a_no_csv": ("CSVファイルを選んでください。", "Choose a CSV file first."),
    "a_disabled": ("このサーバーではアカウントが無効です（個人練習モード）。",
                   "Accounts are not enabled on this server (personal practice mode)."),
    "err_stale": ("この対応は別のウィンドウで進んでいます。ページを再読み込みして続けてください。",
                  "This conversation went on in another window — reload to continue."),
    # supervisor
    "sup_disabled": ("スーパーバイザー画面は無効です。サーバーに環境変数 SIMULATOR_SUPERVISOR_USER と "
                     "SIMULATOR_SUPERVISOR_PASSWORD を設定してください。",
                     "The supervisor page is disabled: set SIMULATOR_SUPERVISOR_USER and "
                     "SIMULATOR_SUPERVISOR_PASSWORD on the server."),
    "login_title": ("スーパーバイザー ログイン", "Supervisor login"),
    "username": ("ユーザー名", "Username"), "password": ("パスワード", "Password"),
    "login": ("ログイン", "Log in"), "logout": ("ログアウト", "Log out"),
    "login_failed": ("ユーザー名またはパスワードが違います。", "Wrong username or password."),
    "login_ok": ("{u} としてログイン中", "Logged in as {u}"),
    "login_required": ("スーパーバイザーのログインが必要です。", "Supervisor login required."),
    "t_editor": ("シナリオ編集", "Scenario editor"), "t_rubrics": ("ルーブリック", "Rubrics"),
    "t_dashboard": ("ダッシュボード", "Dashboard"), "t_export": ("エクスポート", "Export"),
    "load_scenario": ("読み込むシナリオ", "Scenario to load"), "load": ("読み込み", "Load"),
    "new_scenario": ("（新規）", "(new)"),
    "upload_yaml": ("YAMLをアップロード", "Upload YAML"),
    "yaml": ("シナリオYAML", "Scenario YAML"),
    "validation": ("検証結果", "Validation"),
    "valid": ("問題ありません: {id}", "Valid: {id}"),
    "more_problems": ("ほかに {n} 件の問題があります（上から順に直してください）。", "{n} more problem(s); fix the ones above first."),
    "file_name": ("保存ファイル名", "File name"),
    "save": ("上書き保存", "Save"), "save_new": ("新しいファイルとして保存", "Save as new file"),
    "saved": ("{f} に保存しました。", "Saved to {f}."),
    "err_invalid_draft": ("検証エラーがあるため保存できません。", "The draft has validation errors; not saved."),
    "err_conflict": ("{f} は読み込み後に他の人が変更しました。上書きせずに、再読み込みするか新しいファイルとして保存してください。",
                     "{f} was changed by someone else since you loaded it. Reload it or save as a new file; "
                     "nothing was overwritten."),
    "err_exists": ("{f} はすでに存在します。別の名前にしてください。", "{f} already exists; choose another name."),
    "err_bad_filename": ("ファイル名は英小文字・数字・-・_ と .yaml のみ使えます: {f}",
                         "File names may use a-z, 0-9, - and _ and end in .yaml: {f}"),
    "err_nothing_loaded": ("上書きするファイルが読み込まれていません。「新しいファイルとして保存」を使ってください。",
                           "No file is loaded to overwrite; use 'Save as new file'."),
    # terminal play (simulator play)
    "play_commands": ("コマンド: /hold 秒数 [発言]（保留）, /quit（中断）", "Commands: /hold SECONDS [message] (hold), /quit (stop)"),
    "play_end_trainee": ("対応を終了しました", "You ended the contact"),
    "play_end_customer": ("お客様が対応を終了しました", "The customer ended the contact"),
    "play_end_quit": ("/quit で中断しました（対応は終わっていません）", "Stopped with /quit (the contact was not finished)"),
    "play_end_eof": ("入力が終わったため中断しました", "Stopped: no more input"),
    "play_at": ("シミュレーション時刻 {c}", "simulated clock {c}"),
    "play_no_score": ("あなたの発言がないため採点していません。", "Nothing to score: you did not say anything."),
    "rubric_used": ("ルーブリック: {r}", "Rubric: {r}"),
    "err_upload": ("アップロードを読めません: {e}", "Cannot read the upload: {e}"),
    "phrase_title": ("フレーズを試す（どう聞き取られるか）", "Try a phrase (how the customer hears it)"),
    "phrase_label": ("研修生が言いそうな一文", "A sentence a trainee might say"),
    "phrase_go": ("聞き取る", "Read it"),
    "phrase_sentence": ("文", "Sentence"), "phrase_act": ("発話の種類", "Act"),
    "phrase_intents": ("聞き取った意図（確信度・理由）", "Intents heard (confidence, why)"),
    "phrase_times": ("時間の表現", "Times"), "phrase_promise": ("約束", "a promise"),
    "phrase_no_promise": ("約束ではない", "no promise"),
    "phrase_invalid": ("下書きに検証エラーがあります。直してから試してください。",
                       "The draft has validation errors; fix them, then try the phrase."),
    "phrase_empty": ("フレーズを入力してください。", "Type a phrase first."),
    "phrase_long": ("フレーズが長すぎます（{n}文字まで）。", "The phrase is too long (at most {n} characters)."),
    "try_draft": ("下書きで試す", "Try the draft"), "try_start": ("試しに開始", "Start trial"),
    "rubric": ("ルーブリック", "Rubric"),
    "filter_trainee": ("研修生", "Trainee"), "filter_scenario": ("シナリオ", "Scenario"),
    "since": ("開始日（YYYY-MM-DD）", "Since (YYYY-MM-DD)"), "until": ("終了日（YYYY-MM-DD）", "Until (YYYY-MM-DD)"),
    "refresh": ("更新", "Refresh"), "sessions": ("セッション一覧", "Sessions"),
    "averages": ("観点別の平均", "Average per criterion"), "trends": ("研修生ごとの推移", "Trend per trainee"),
    "session_id": ("セッションID", "Session id"), "open": ("開く", "Open"),
    "override": ("スコアを修正", "Override a score"), "comment": ("コメント", "Comment"),
    "apply_override": ("修正を保存", "Save override"),
    "override_saved": ("「{c}」を {s} 点に修正しました。", "Overrode {c} to {s}."),
    "err_score_range": ("点数は 0〜4 の整数で入力してください（入力値: {v}）。", "The score must be a whole number 0-4, got {v}."),
    "went_well": ("良かった点", "What went well"), "try_next": ("次に試すこと", "What to try next"),
    "scored_by": ("採点: {who}", "Scored by: {who}"),
    "axis_level": ("平均レベル（0〜4）", "Average level (0-4)"), "axis_attempt": ("受講回（回目）", "Attempt"),
    "axis_total": ("合計点", "Total score"), "axis_card_level": ("レベル（0〜4）", "Level (0-4)"),
    "no_scored": ("採点済みのセッションはまだありません。", "No scored session yet."),
    "no_sessions": ("条件に合うセッションはありません。", "No session matches the filters."),
    "summary": ("セッション {n} 件（採点済み {scored} 件）・研修生 {trainees} 名", "{n} session(s) ({scored} scored), {trainees} trainee(s)"),
    "trend_more": ("直近に受講した {n} 名を表示しています（全 {total} 名）。ほかの研修生は上の「研修生」で選べます。",
                   "Showing the {n} most recently active trainees of {total}; pick any other in the Trainee filter above."),
    "err_format": ("形式 {f} は使えません（csv, json, html, pdf）。", "Unknown format {f} (use csv, json, html or pdf)."),
    "see_log": ("詳しくはサーバーのログを見てください", "see the server log"),
    "err_id_taken": ("シナリオ id '{id}' はすでに {f} で使われています。新しいファイルには別の id: を付けてください。",
                     "Scenario id '{id}' is already used by {f}; give the new file another id:."),
    "err_unknown_rubric": ("ルーブリック {id} は見つかりません。", "Rubric {id} was not found."),
    "err_bad_date": ("日付の形式が違います（YYYY-MM-DD）: {d}", "Bad date (use YYYY-MM-DD): {d}"),
    "err_no_session": ("セッション {id} は見つかりません。", "Session {id} was not found."),
    "err_no_comment": ("修正の理由をコメントに書いてください。", "Please write a comment explaining the override."),
    "err_no_criterion": ("観点を選んでください。", "Choose a criterion."),
    "format": ("形式", "Format"), "export": ("エクスポート", "Export"), "download": ("ダウンロード", "Download"),
    "err_export": ("エクスポートに失敗しました: {e}", "Export failed: {e}"),
    "unavailable": ("この機能はまだ利用できません: {e}", "This feature is not available yet: {e}"),
}


def t(key: str, lang: str, **kw: Any) -> str:
    """The string for `key` in `lang`; a missing key is a programming error, so it raises."""
    ja, en = STRINGS[key]
    text = ja if lang == "ja" else en
    return text.format(**kw) if kw else text


class Relabeller:
    """Remembers which component shows which string, so one event can switch the whole UI.

    Each entry maps a component to a function lang -> gr.update(...); `updates(lang)` returns
    them in registration order, matching `components`.
    """

    def __init__(self) -> None:
        self.components: list[gr.components.Component | gr.blocks.BlockContext] = []
        self._makers: list[Callable[[str], Any]] = []

    def label(self, comp: Any, key: str, placeholder: str | None = None) -> Any:
        def make(lang: str) -> Any:
            kw: dict[str, Any] = {"label": t(key, lang)}
            if placeholder:
                kw["placeholder"] = t(placeholder, lang)
            import gradio as gr
            return gr.update(**kw)
        return self.add(comp, make)

    def value(self, comp: Any, key: str, prefix: str = "") -> Any:
        """For buttons and Markdown headings (prefix "# "...), whose text is their value."""
        import gradio as gr
        return self.add(comp, lambda lang: gr.update(value=prefix + t(key, lang)))

    def add(self, comp: Any, make: Callable[[str], Any]) -> Any:
        self.components.append(comp)
        self._makers.append(make)
        return comp

    def updates(self, lang: str) -> list[Any]:
        return [m(lang) for m in self._makers]
