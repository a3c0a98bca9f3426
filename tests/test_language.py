"""The shared language layer: normalisation, intents and time expressions (ja first, en second).

Table-driven: every case states the exact quote expected, checked against the ORIGINAL text.
"""

from __future__ import annotations

import pytest

from simulator.language import (IntentDetector, check_pattern, detector_for, find_time_expressions, kanji_number,
                                normalize, normalize_mapped)
from simulator.language.vocabulary import BUILTIN_INTENTS
from simulator.models import Signals

DET = {"ja": IntentDetector("ja"), "en": IntentDetector("en")}

# ------------------------------------------------------------------------- normalisation

NORMALIZE = [
    ("ja", "ＡＢＣ１２３", "abc123"),
    ("ja", "ｶﾞｽ", "ガス"),
    ("ja", "か゛", "が"),
    ("ja", "三十分以内", "30分以内"),
    ("ja", "十六時まで", "16時まで"),
    ("ja", "二〜三日", "2~3日"),
    ("ja", "2～3日", "2~3日"),
    ("ja", "ル－ル", "ルール"),
    ("ja", "ル―ル", "ルール"),
    ("ja", "十分です", "十分です"),  # じゅうぶん, "enough"
    ("ja", "十分ほど", "10分ほど"),
    ("ja", "一時的に", "一時的に"),
    ("ja", "申し訳　ございません", "申し訳ございません"),
    ("ja", "百二十円", "120円"),
    ("en", "  I’m   SORRY\n", "i'm sorry"),
    ("en", "ＢＹ　４ ＰＭ", "by 4 pm"),
]


@pytest.mark.parametrize("language,text,expected", NORMALIZE)
def test_normalize(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


def test_offset_map_points_into_original() -> None:
    original = "本日　１６時までに発送"
    norm = normalize_mapped(original, "ja")
    assert norm.text == "本日16時までに発送"
    k = norm.text.index("16時")
    span = norm.span(k, k + 3)
    assert original[span.start:span.end] == "１６時"


def test_kanji_number() -> None:
    assert [kanji_number(r) for r in ("三十", "十六", "百二十", "二〇二六", "千")] == [30, 16, 120, 2026, 1000]


def test_bad_language_is_named() -> None:
    with pytest.raises(ValueError, match="language 'fr'"):
        normalize("bonjour", "fr")
    with pytest.raises(ValueError, match="language 'de'"):
        IntentDetector("de")


# ------------------------------------------------------------------------------ intents

# (language, message, intent, exact quote from the message)
HITS = [
    ("en", "You must have been wondering what happened.", "acknowledges_feeling", "You must have been wondering"),
    ("en", "Is it for anything special today?", "asks_occasion", "Is it for anything special"),
    ("ja", "1分ほどお待ちいただいてもよろしいでしょうか", "promises_concrete_time", "1分ほど"),
    ("ja", "ほかに心配なことはございませんか", "asks_open_question", "ほかに心配なこと"),
    ("en", "If anything's worrying you, do tell me.", "asks_open_question", "If anything's worrying you"),
    ("en", "Name, please.", "asks_identification", "Name, please"),
    ("ja", "いつご注文されましたか", "asks_identification", "いつご注文"),
    ("en", "Does the date matter for you?", "asks_occasion", "Does the date matter"),
    ("en", "May I ask what the catalogue is for?", "asks_occasion", "what the catalogue is for"),
    ("ja", "お届けの日にちに何かご事情がおありでしょうか", "asks_occasion", "何かご事情が"),
    ("ja", "申込番号をお願いします", "asks_identification", "申込番号"),
    ("en", "Are you in a bit of a hurry?", "asks_deadline", "in a bit of a hurry"),
    # --- Japanese: empathy
    ("ja", "ご心配でしたよね。", "acknowledges_feeling", "ご心配でしたよね"),
    ("ja", "ご心配だったことと思います", "acknowledges_feeling", "ご心配だったことと思います"),
    ("ja", "ご心配をおかけしております", "acknowledges_feeling", "ご心配をおかけ"),
    ("ja", "それはご不安でしたよね", "acknowledges_feeling", "ご不安"),
    ("ja", "不安なお気持ちでしたよね", "acknowledges_feeling", "不安なお気持ち"),
    ("ja", "お困りでしたよね", "acknowledges_feeling", "お困りでしたよね"),
    ("ja", "さぞ驚かれたことと思います", "acknowledges_feeling", "さぞ"),
    ("ja", "カタログが届いていなかったのですね", "restates_situation", "カタログが届いていなかったのですね"),
    ("ja", "お申し込み後、ご連絡がなかったのですね", "restates_situation", "ご連絡がなかったのですね"),
    ("ja", "お気持ちお察しします", "rote_empathy", "お気持ちお察しします"),
    ("ja", "お気持ちはよくわかります", "rote_empathy", "お気持ちはよくわかり"),
    ("ja", "ご迷惑をおかけし申し訳ございません", "apologises", "申し訳ございません"),
    ("ja", "大変失礼いたしました", "apologises", "失礼いたしました"),
    ("ja", "心よりお詫び申し上げます", "apologises", "お詫び"),
    ("ja", "お申し込みはきちんと届いておりました。ご安心ください", "shares_good_news", "ご安心ください"),
    ("ja", "私が責任を持って確認いたします", "takes_ownership", "私が責任を持って確認"),
    ("ja", "わたくしの方ですぐに手配いたします", "takes_ownership", "わたくしの方ですぐに手配"),
    ("ja", "こちらの不手際でございます", "takes_ownership", "こちらの不手際"),
    ("ja", "会社の方針としましては", "hides_behind_policy", "方針"),
    ("ja", "規則ですので", "hides_behind_policy", "規則"),
    ("ja", "ルールでできかねます", "hides_behind_policy", "ルール"),
    ("ja", "配送業者のミスでして", "blames_others", "配送業者のミス"),
    ("ja", "システムの不具合で届いておりません", "blames_others", "システムの不具合で"),
    ("ja", "お客様が先ほどおっしゃいましたよね", "argues_back", "お客様が先ほどおっしゃ"),
    # --- Japanese: unspoken needs
    ("ja", "何か大切なご予定がおありでしょうか", "asks_occasion", "大切なご予定"),
    ("ja", "ご用途をお伺いしてもよろしいですか", "asks_occasion", "ご用途"),
    ("ja", "贈り物でしょうか", "asks_occasion", "贈り物"),
    ("ja", "いつまでに必要でいらっしゃいますか", "asks_deadline", "いつまでに"),
    ("ja", "ご希望のお届け日はございますか", "asks_deadline", "ご希望のお届け日"),
    ("ja", "お急ぎでいらっしゃいますか", "asks_deadline", "お急ぎ"),
    ("ja", "スマートフォンは毎日お使いですか", "asks_usage", "毎日お使いですか"),
    ("ja", "お届けの頃、ご不在のご予定はありますか", "asks_availability", "ご不在"),
    ("ja", "お受け取りのご都合はいかがでしょうか", "asks_availability", "お受け取りのご都合はいかが"),
    ("ja", "どなたへの贈り物でしょうか", "asks_recipient", "どなたへの"),
    ("ja", "お名前とご注文番号をお願いいたします", "asks_identification", "お名前"),
    ("ja", "ご注文番号を教えていただけますか", "asks_identification", "ご注文番号"),
    ("ja", "ご注文日はいつでしょうか", "asks_identification", "ご注文日"),
    ("ja", "りんごは何個ご希望ですか", "asks_details", "何個"),
    ("ja", "品種のご希望はございますか", "asks_details", "品種"),
    ("ja", "他に何かご不明な点はございますか", "asks_open_question", "他に何かご不明"),
    ("ja", "16時までに発送をご希望ということですね", "confirms_back", "16時までに発送をご希望ということですね"),
    ("ja", "本日中に発送いたします", "offers_faster_option", "本日中に発送"),
    ("ja", "本日発送が可能です", "offers_faster_option", "本日発送"),
    ("ja", "お急ぎ便に切り替えます", "offers_faster_option", "お急ぎ便"),
    ("ja", "お届け日時の変更も承ります", "offers_alternative", "お届け日時の変更"),
    ("ja", "営業所止めにもできます", "offers_alternative", "営業所止め"),
    ("ja", "別のお届け先にお送りすることも可能です", "offers_alternative", "別のお届け先"),
    # --- Japanese: wait time and closing
    ("ja", "16時までに発送いたします", "promises_concrete_time", "16時までに"),
    ("ja", "１６時までに発送いたします", "promises_concrete_time", "１６時までに"),
    ("ja", "三十分以内に折り返しご連絡いたします", "promises_concrete_time", "三十分以内に"),
    ("ja", "三十分以内に折り返しご連絡いたします", "offers_callback", "折り返し"),
    ("ja", "少々お待ちください", "vague_wait", "少々"),
    ("ja", "もうしばらくお待ちください", "vague_wait", "もうしばらく"),
    ("ja", "30分ごとに途中経過をご連絡いたします", "interim_update", "30分ごとに"),
    ("ja", "1分ほどお待ちいただいてもよろしいでしょうか", "asks_to_hold", "お待ちいただいてもよろしいでしょうか"),
    ("ja", "1分ほどお待ちいただいてもよろしいでしょうか", "promises_concrete_time", "1分ほど"),
    ("ja", "大変お待たせいたしました", "thanks_for_waiting", "お待たせいたしました"),
    ("ja", "お電話ありがとうございます。山田と申します", "greets", "お電話ありがとうございます"),
    ("ja", "ご連絡ありがとうございます", "thanks", "ありがとうございます"),
    ("ja", "お先に失礼してもよろしいでしょうか", "offers_hang_up_first", "お先に失礼してもよろしいでしょうか"),
    ("ja", "お先に失礼させていただいてもよろしいでしょうか", "offers_hang_up_first",
     "お先に失礼させていただいてもよろしいでしょうか"),
    ("ja", "それでは失礼いたします", "closes", "失礼いたします"),
    # --- English
    ("en", "You must have been worried.", "acknowledges_feeling", "You must have been worried"),
    ("en", "That must have been so stressful.", "acknowledges_feeling", "That must have been so stressful"),
    ("en", "So the catalogue never arrived.", "restates_situation", "So the catalogue never arrived."[:-1]),
    ("en", "I understand how you feel.", "rote_empathy", "I understand how you feel"),
    ("en", "I'm so sorry about that.", "apologises", "sorry"),
    ("en", "Good news: your application went through!", "shares_good_news", "Good news"),
    ("en", "I will check this myself.", "takes_ownership", "I will check"),
    ("en", "Our policy is that express is not available.", "hides_behind_policy", "policy"),
    ("en", "It's the courier's fault.", "blames_others", "courier's fault"),
    ("en", "Is it for a special occasion?", "asks_occasion", "special occasion"),
    ("en", "When do you need it by?", "asks_deadline", "When do you need it by"),
    ("en", "Do you use the phone every day?", "asks_usage", "Do you use the phone every day"),
    ("en", "Will you be home that day?", "asks_availability", "Will you be home"),
    ("en", "Who is the gift for?", "asks_recipient", "Who is the gift for"),
    ("en", "Could I have your order number?", "asks_identification", "order number"),
    ("en", "How many would you like?", "asks_details", "How many"),
    ("en", "Is there anything else I can help with?", "asks_open_question", "Is there anything else"),
    ("en", "So you'd like it before the weekend.", "confirms_back", "So you'd like"),
    ("en", "I can ship it today.", "offers_faster_option", "ship it today"),
    ("en", "We could send it by express.", "offers_faster_option", "by express"),
    ("en", "I can change the delivery date for you.", "offers_alternative", "change the delivery date"),
    ("en", "I'll call you back by 12:40.", "promises_concrete_time", "by 12:40"),
    ("en", "I'll call you back by 12:40.", "offers_callback", "I'll call you back"),
    ("en", "Please wait a little longer.", "vague_wait", "a little longer"),
    ("en", "We'll update you every 30 minutes.", "interim_update", "every 30 minutes"),
    ("en", "May I put you on hold for a minute?", "asks_to_hold", "May I put you on hold"),
    ("en", "Thank you for waiting.", "thanks_for_waiting", "Thank you for waiting"),
    ("en", "Good afternoon, this is Ken speaking.", "greets", "Good afternoon"),
    ("en", "May I hang up first?", "offers_hang_up_first", "May I hang up first"),
    ("en", "Have a nice day!", "closes", "Have a nice day"),
    ("en", "Thanks so much for your patience today.", "thanks", "Thanks"),
    ("en", "But you said the 3rd.", "argues_back", "But you said"),
    # --- more keigo variants, full-width and half-width input
    ("ja", "ご心配ですよね", "acknowledges_feeling", "ご心配ですよね"),
    ("ja", "さぞかしお困りだったことと存じます", "acknowledges_feeling", "さぞかし"),
    ("ja", "お誕生日のプレゼントなのですね", "restates_situation", "お誕生日のプレゼントなのですね"),
    ("ja", "ｶﾀﾛｸﾞが届いていなかったのですね", "restates_situation", "ｶﾀﾛｸﾞが届いていなかったのですね"),
    ("ja", "申し訳ありませんでした", "apologises", "申し訳ありませんでした"),
    ("ja", "弊社の手違いでございます", "takes_ownership", "弊社の手違い"),
    ("ja", "決まりですので", "hides_behind_policy", "決まり"),
    ("ja", "何かのご予定でお使いですか", "asks_occasion", "何かのご予定"),
    ("ja", "ご希望の日時はございますか", "asks_deadline", "ご希望の日時"),
    ("ja", "お届けの日はご在宅でしょうか", "asks_availability", "ご在宅"),
    ("ja", "お電話番号をお伺いできますか", "asks_identification", "お電話番号"),
    ("ja", "数量はいかがいたしましょう", "asks_details", "数量"),
    ("ja", "当日発送も可能です", "offers_faster_option", "当日発送"),
    ("ja", "速達でお送りします", "offers_faster_option", "速達"),
    ("ja", "住所変更も承ります", "offers_alternative", "住所変更"),
    ("ja", "営業所でのお受け取りも可能です", "offers_alternative", "営業所でのお受け取り"),
    ("ja", "午後4時までに発送します", "promises_concrete_time", "午後4時までに"),
    ("ja", "１６：００までにご連絡します", "promises_concrete_time", "１６：００までに"),
    ("ja", "後ほどご連絡いたします", "vague_wait", "後ほど"),
    ("ja", "途中経過も随時ご報告いたします", "interim_update", "途中経過"),
    ("ja", "保留にさせていただいてもよろしいでしょうか", "asks_to_hold", "保留にさせていただいてもよろしい"),
    ("ja", "お待ちいただきありがとうございます", "thanks_for_waiting", "お待ちいただきありがとう"),
    ("ja", "こちらから改めてお電話いたします", "offers_callback", "こちらから改めてお電話いたし"),
    ("ja", "お先に電話を切らせていただいてもよろしいでしょうか", "offers_hang_up_first", "お先に電話を切らせていただいてもよろしい"),
    ("ja", "お客様が住所を間違えたのではないですか", "argues_back", "お客様が住所を間違えたのではないですか"),
    ("ja", "何時までに必要でいらっしゃいますか", "asks_deadline", "何時までに"),
    ("ja", "お届け先を職場に変更することもできます", "offers_alternative", "お届け先を職場に変更"),
    ("ja", "いつもご利用いただきありがとうございます", "greets", "いつもご利用いただき"),
    ("en", "I'm sorry you've had to wait so long.", "acknowledges_feeling", "I'm sorry you've had"),
    ("en", "I can imagine how frustrating that is.", "acknowledges_feeling", "I can imagine how frustrat"),
    ("en", "Let me check that for you.", "takes_ownership", "Let me check"),
    ("en", "The system had a glitch.", "blames_others", "The system had a glitch"),
    ("en", "Is it urgent?", "asks_deadline", "urgent"),
    ("en", "Will anyone be home on Friday?", "asks_availability", "Will anyone be home"),
    ("en", "Just to confirm, you'd like two boxes?", "confirms_back", "Just to confirm"),
    ("en", "I can reschedule the delivery.", "offers_alternative", "reschedule"),
    ("en", "I'll keep you updated every hour.", "interim_update", "keep you updated"),
    ("en", "I'll keep you updated every hour.", "interim_update", "every hour"),
    ("en", "Could you hold for two minutes?", "asks_to_hold", "Could you hold"),
    ("en", "Could you hold for two minutes?", "promises_concrete_time", "for two minutes"),
    ("en", "Sorry to keep you waiting.", "thanks_for_waiting", "Sorry to keep you waiting"),
    ("en", "I'll get back to you within 30 minutes.", "promises_concrete_time", "within 30 minutes"),
    ("en", "Take care.", "closes", "Take care"),
    ("en", "I'll send you an update every half hour.", "interim_update", "send you an update"),
    ("en", "I'll send you an update every half hour.", "promises_concrete_time", "every half hour"),
    ("en", "Would you like me to redirect it to your office?", "offers_alternative", "redirect"),
    ("en", "Is there a time that works best for you?", "asks_availability", "works best for you"),
    ("en", "Talk to you soon, bye!", "closes", "Talk to you soon"),
]


def test_hits_are_heard_with_their_sentence_as_evidence() -> None:
    """HITS were written for the old regex reader, independently of the corpus: a held-out check
    set. The trained reader must hear nearly all of them (it is a classifier: a few misses are
    reported, not hidden), and every hit it gives quotes its whole sentence exactly."""
    missed = []
    for language, message, intent, quote in HITS:
        hits = [h for h in DET[language].detect(message) if h.intent == intent]
        if not any(quote in h.text for h in hits):
            missed.append((language, message, intent))
        for h in hits:
            assert message[h.start:h.end] == h.text
    assert len(missed) <= 0.10 * len(HITS), missed  # today 11 of 160


# (language, message, intent that must NOT fire)
MISSES = [
    ("en", "You must have been worried whether it went through.", "shares_good_news"),
    ("ja", "早めに必要でしょうか。", "vague_wait"),
    ("en", "Will you be home tomorrow?", "promises_concrete_time"),
    ("en", "Thank you for calling, this is Anna.", "closes"),
    ("en", "Do you need it soon?", "vague_wait"),
    ("ja", "明後日にお届けします", "vague_wait"),
    ("ja", "本日発送はできません", "offers_faster_option"),
    ("ja", "本日発送はいたしかねます", "offers_faster_option"),
    ("ja", "ご不安なお気持ち、お察しいたします", "rote_empathy"),  # specific: not rote
    ("ja", "十分にご注意ください", "promises_concrete_time"),
    ("ja", "明日の午前中に届く予定でした", "promises_concrete_time"),
    ("ja", "失礼いたしました", "closes"),
    ("ja", "少々お待ちください", "asks_to_hold"),
    ("ja", "少々お待ちください", "promises_concrete_time"),
    ("en", "We can't ship it today.", "offers_faster_option"),
    ("en", "We can't ship it today.", "promises_concrete_time"),
    ("en", "Same-day shipping is not possible.", "offers_faster_option"),
    ("en", "I understand how you feel, you must have been worried.", "rote_empathy"),
    ("en", "It was supposed to arrive by noon.", "promises_concrete_time"),
    ("en", "Please hold on.", "promises_concrete_time"),
    ("en", "I'll overrule that.", "hides_behind_policy"),
    ("ja", "ご心配なく", "acknowledges_feeling"),
    ("ja", "お電話を折り返すことはできません", "offers_callback"),
    ("ja", "素敵な一日になりますように", "promises_concrete_time"),
    ("ja", "5日もご連絡がなかったのですね", "promises_concrete_time"),
    ("ja", "11月20日のご注文ですね", "promises_concrete_time"),
    ("ja", "今朝7時52分に配達店に着いています", "promises_concrete_time"),
    ("ja", "3kgのギフトボックス", "asks_occasion"),
    ("ja", "宅配便でお送りするお約束だったのに", "offers_faster_option"),
    ("ja", "できるだけ早くお届けします", "offers_faster_option"),
    ("en", "We cannot call you back.", "offers_callback"),
    ("en", "Five days with no word at all.", "promises_concrete_time"),
    ("en", "It's for your mother's 90th birthday.", "promises_concrete_time"),
    ("en", "You ordered it on 25 November.", "promises_concrete_time"),
    ("en", "One 5 kg gift box of Fuji.", "asks_occasion"),
    ("en", "Are you in a bit of a hurry?", "vague_wait"),
    ("en", "At present we have none.", "asks_occasion"),
    ("en", "I want to express my apologies.", "offers_faster_option"),
    ("en", "Let me present the options.", "asks_occasion"),
    ("en", "Talk to you soon, bye!", "vague_wait"),
    ("en", "Unfortunately we can't offer same-day delivery.", "offers_faster_option"),
    ("en", "We're unable to ship it today, I'm afraid.", "promises_concrete_time"),
    ("ja", "ご注文が決まりましたらご連絡ください", "hides_behind_policy"),
    ("ja", "お急ぎのところ恐れ入りますが", "asks_deadline"),
    ("ja", "有効期限が切れています", "asks_deadline"),
    ("ja", "もう少し詳しく教えていただけますか", "vague_wait"),
    ("ja", "いずれかの方法をお選びください", "vague_wait"),
    ("ja", "少々難しいかもしれません", "vague_wait"),
    ("ja", "いつもご利用いただきありがとうございます", "asks_usage"),
    ("ja", "恐れ入りますが、本日発送は難しい状況です", "offers_faster_option"),
    ("ja", "本日16時までのご注文でしたら", "promises_concrete_time"),
]


def test_near_misses_are_not_heard() -> None:
    wrong = [(language, message, intent) for language, message, intent in MISSES
             if intent in DET[language].intents(message)]
    assert len(wrong) <= 0.10 * len(MISSES), wrong  # today 4 of 56


def test_every_builtin_intent_has_ja_and_en_coverage() -> None:
    for lang in ("ja", "en"):
        covered = {intent for l, _, intent, _ in HITS if l == lang}
        assert set(BUILTIN_INTENTS) <= covered, (lang, set(BUILTIN_INTENTS) - covered)


def test_full_width_spans_are_exact() -> None:
    msg = "私が確認いたします。本日　１６時までに発送いたします。"
    for h in DET["ja"].detect(msg):
        assert msg[h.start:h.end] == h.text
    assert [h.text for h in DET["ja"].detect(msg) if h.intent == "promises_concrete_time"] == ["本日　１６時までに発送いたします。"]


def test_extra_patterns_extend_and_add_ids() -> None:
    det = IntentDetector("ja", {"offers_faster_option": [r"宅配便で本日"], "mentions_wedding": [r"結婚式|ご婚礼"]})
    assert {"mentions_wedding"} <= det.intents("ご婚礼のお菓子でしょうか")
    assert "offers_faster_option" in det.intents("宅配便で本日お送りします")
    assert "mentions_wedding" in det.known_intents


@pytest.mark.parametrize("patterns,fragment", [
    ({"x": ["(unclosed"]}, "not a valid regular expression"),
    ({"x": [""]}, "empty"),
    ({"x": ["a*"]}, "matches the empty string"),
    ({"x": "single string"}, "must be a list"),
])
def test_bad_extra_patterns_are_named(patterns: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as err:
        IntentDetector("ja", patterns)
    assert "'x'" in str(err.value)
    assert check_pattern("x", "ok") is None


def test_match_signals_intents_and_keywords() -> None:
    msg = "ご心配でしたよね。ＳＩＭカードは本日発送いたします"
    hits = DET["ja"].match_signals(Signals(intent=["acknowledges_feeling"], keywords=["simカード"]), msg)
    assert [(h.intent, h.text) for h in hits] == [("acknowledges_feeling", "ご心配でしたよね。"), ("keyword", "ＳＩＭカード")]
    en = DET["en"].match_signals(Signals(keywords=["Rule"]), "As a rule... overrule")
    assert [h.text for h in en] == ["rule"]


def test_detector_for_scenario_is_cached() -> None:
    class FakeScenario:  # the two fields detector_for reads
        id = "x"
        language = "ja"
        patterns = {"mentions_wedding": ["結婚式"]}
        intents: dict = {}
    a, b = detector_for(FakeScenario()), detector_for(FakeScenario())  # type: ignore[arg-type]
    assert a is b and "mentions_wedding" in a.intents("結婚式の引き出物です")


# ------------------------------------------------------------------------ time expressions

# (language, text, now, [(quote, kind, due)])
TIMES = [
    # bare waits: vague unless their sentence names a time
    ("ja", "お待ちください", None, [("お待ちください", "vague", None)]),
    ("ja", "分かり次第、折り返しご連絡いたします", None, [("分かり次第", "vague", None)]),
    ("ja", "確認が取れ次第、15分以内にお電話します", "12:00:00", [("15分以内に", "duration", "12:15:00")]),
    ("ja", "少々お待ちください。1分ほどで戻ります", "12:00:00", [("少々", "vague", None), ("1分ほどで", "duration", "12:01:00")]),
    ("en", "Please wait.", None, [("Please wait", "vague", None)]),
    ("en", "Please bear with us.", None, [("bear with us", "vague", None)]),
    ("en", "I'll call you once we've checked.", None, [("once we've checked", "vague", None)]),
    ("en", "Please wait, I'll be back within 2 minutes.", "12:00:00", [("within 2 minutes", "duration", "12:02:00")]),
    ("ja", "16時までに発送いたします", None, [("16時までに", "clock", "16:00:00")]),
    ("ja", "16:00までに", None, [("16:00までに", "clock", "16:00:00")]),
    ("ja", "午後4時に", None, [("午後4時", "clock", "16:00:00")]),
    ("ja", "12時40分までにお電話します", None, [("12時40分までに", "clock", "12:40:00")]),
    ("ja", "十六時半まで", None, [("十六時半まで", "clock", "16:30:00")]),
    ("ja", "30分以内に", "12:05:00", [("30分以内に", "duration", "12:35:00")]),
    ("ja", "三十分以内に", "12:05:00", [("三十分以内に", "duration", "12:35:00")]),
    ("ja", "5分ほどで", "15:52:00", [("5分ほどで", "duration", "15:57:00")]),
    ("ja", "1分ほどお待ちください", "15:52:30", [("1分ほど", "duration", "15:53:30")]),
    ("ja", "本日中にご連絡します", None, [("本日中に", "date", None)]),
    ("ja", "明日の午前中にお届けします", None, [("明日の午前中に", "date", None)]),
    ("ja", "明後日の午前中", None, [("明後日の午前中", "date", None)]),
    ("ja", "2〜3日かかります", None, [("2〜3日", "date", None)]),
    ("ja", "3営業日以内に", None, [("3営業日以内に", "date", None)]),
    ("ja", "今日の16時まで", "12:00", [("今日の16時まで", "clock", "16:00:00")]),
    ("ja", "少々お待ちください", None, [("少々", "vague", None)]),
    ("ja", "しばらくお待ちください", None, [("しばらく", "vague", None)]),
    ("ja", "後ほど追ってご連絡します", None, [("後ほど", "vague", None), ("追って", "vague", None)]),
    ("ja", "できるだけ早くお送りします", None, [("できるだけ早く", "vague", None)]),
    ("ja", "早急に対応します。近日中に順次", None, [("早急に", "vague", None), ("近日中", "vague", None),
                                          ("順次", "vague", None)]),
    ("ja", "30分ごとにご連絡します", "12:05:00", [("30分ごとに", "rhythm", "12:35:00")]),
    ("ja", "少々お待ちください。1分ほどで戻ります", "10:00:00",
     [("少々", "vague", None), ("1分ほどで", "duration", "10:01:00")]),
    ("ja", "ありがとうございます", None, []),
    ("en", "I'll ship it by 4 pm.", None, [("by 4 pm", "clock", "16:00:00")]),
    ("en", "by 16:00", None, [("by 16:00", "clock", "16:00:00")]),
    ("en", "within 30 minutes", "12:05:00", [("within 30 minutes", "duration", "12:35:00")]),
    ("en", "in 5 minutes", "12:05:00", [("in 5 minutes", "duration", "12:10:00")]),
    ("en", "by tomorrow morning", None, [("by tomorrow morning", "date", None)]),
    ("en", "within two business days", None, [("within two business days", "date", None)]),
    ("en", "I'll be with you shortly, as soon as possible.", None,
     [("shortly", "vague", None), ("as soon as possible", "vague", None)]),
    ("en", "It should arrive at some point, soon.", None, [("at some point", "vague", None), ("soon", "vague", None)]),
    ("en", "Please wait a little longer.", None, [("a little longer", "vague", None)]),
    ("en", "I'll call you back in a moment, or later.", None, [("in a moment", "vague", None), ("later", "vague", None)]),
    ("en", "every 30 minutes", "12:00:00", [("every 30 minutes", "rhythm", "12:30:00")]),
    ("en", "within half an hour", "12:00:00", [("within half an hour", "duration", "12:30:00")]),
    ("ja", "1時間半ほどで", "10:00:00", [("1時間半ほどで", "duration", "11:30:00")]),
    ("ja", "30秒ほど", "10:00:00", [("30秒ほど", "duration", "10:00:30")]),
    ("ja", "5〜10分ほど", "10:00:00", [("5〜10分ほど", "duration", "10:10:00")]),
    ("ja", "正午までに", None, [("正午までに", "clock", "12:00:00")]),
    ("ja", "夕方5時頃", None, [("夕方5時頃", "clock", "17:00:00")]),
    ("ja", "明日の10時に", None, [("明日の10時", "date", None)]),
    ("ja", "1時間ごとに", "10:00", [("1時間ごとに", "rhythm", "11:00:00")]),
    ("ja", "29日（土）午前中に", None, [("29日（土）午前中", "date", None)]),
    ("ja", "１２時４０分までに", None, [("１２時４０分までに", "clock", "12:40:00")]),
    ("ja", "20分以内", "23:50:00", [("20分以内", "duration", "00:10:00")]),
    ("en", "by noon", None, [("by noon", "clock", "12:00:00")]),
    ("en", "by 4:30 p.m.", None, [("by 4:30 p.m.", "clock", "16:30:00")]),
    ("en", "in 1-2 days", None, [("in 1-2 days", "date", None)]),
    ("en", "every hour", "10:00", [("every hour", "rhythm", "11:00:00")]),
    ("en", "a couple of minutes", "10:00", [("a couple of minutes", "duration", "10:02:00")]),
    ("en", "by the end of the day", None, [("by the end of the day", "date", None)]),
    ("en", "on Saturday the 29th", None, [("on Saturday the 29th", "date", None)]),
    ("en", "just a moment", None, [("just a moment", "vague", None)]),
    ("en", "in a minute", None, [("in a minute", "vague", None)]),
    ("en", "no later than 3 pm", None, [("no later than 3 pm", "clock", "15:00:00")]),
    ("en", "within a minute", "10:00", [("within a minute", "duration", "10:01:00")]),
    ("en", "ＢＹ　４ＰＭ", None, [("ＢＹ　４ＰＭ", "clock", "16:00:00")]),
    ("en", "by four o'clock", None, [("by four o'clock", "clock", "16:00:00")]),
    ("en", "within the hour", "10:00", [("within the hour", "duration", "11:00:00")]),
    ("ja", "数十分ほどかかります", None, [("数十分ほど", "vague", None)]),
    ("ja", "一両日中にお届けします", None, [("一両日中に", "date", None)]),
    ("ja", "早めにご連絡します", None, [("早めに", "vague", None)]),
    ("ja", "もう少しお待ちください", None, [("もう少し", "vague", None)]),
    ("ja", "もう少々、お待ちください", None, [("もう少々", "vague", None)]),
]


@pytest.mark.parametrize("language,text,now,expected", TIMES)
def test_time_expressions(language: str, text: str, now: str | None, expected: list) -> None:
    found = find_time_expressions(text, language, now=now)
    assert [(t.text, t.kind, t.due) for t in found] == expected
    for t in found:
        assert text[t.start:t.end] == t.text
        assert t.concrete == (t.kind != "vague")


def test_within_seconds_and_pm_guess() -> None:
    (t,) = find_time_expressions("4時までに", "ja", now="15:52:00")
    assert (t.due, t.within_seconds) == ("16:00:00", 480)
    (d,) = find_time_expressions("3営業日以内", "ja")
    assert d.within_seconds is None
    (r,) = find_time_expressions("2〜3日", "ja")
    assert r.within_seconds == 3 * 86400


def test_bad_now_is_named() -> None:
    with pytest.raises(ValueError, match="now: '25:00'"):
        find_time_expressions("30分以内", "ja", now="25:00")


def test_one_reading_per_text_and_results_are_immutable() -> None:
    a = DET["ja"].reader.read("少々お待ちください。1分ほどで戻ります", now="10:00:00")
    assert {"vague_wait", "promises_concrete_time"} <= a.intent_ids
    assert [(t.text, t.due) for t in a.times] == [("少々", None), ("1分ほどで", "10:01:00")]
    assert DET["ja"].reading("少々お待ちください。") is DET["ja"].reading("少々お待ちください。")
    with pytest.raises(Exception):
        DET["ja"].detect("少々お待ちください。")[0].start = 99  # cached results are shared: they must not change
    assert DET["ja"].detect("少々お待ちください。1分ほどで戻ります") == DET["ja"].detect("少々お待ちください。1分ほどで戻ります")


def test_non_string_text_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a string"):
        DET["ja"].detect(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a string"):
        find_time_expressions(42, "en")  # type: ignore[arg-type]


def test_empty_text() -> None:
    assert DET["ja"].detect("") == [] and find_time_expressions("   ", "en") == []
    assert normalize("", "ja") == ""


def test_spans_hold_on_odd_input() -> None:
    """Combining marks, half-width voiced marks, emoji, mixed widths: no crash, exact spans."""
    import random
    rnd = random.Random(7)
    alphabet = list("ご心配でしたよね本日16時までに発送少々お待ちくださいby 4pm１２３ｶﾞﾟ゛゜ー－〜～ 　\n\u0301\u3099e👍🏽,.!?。、（）~-:：")
    for _ in range(300):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        for lang in ("ja", "en"):
            for h in DET[lang].detect(s):
                assert s[h.start:h.end] == h.text and h.start < h.end
            for x in find_time_expressions(s, lang, now="12:00"):
                assert s[x.start:x.end] == x.text


def test_long_message_is_read_sentence_by_sentence() -> None:
    long = "ご心配でしたよね。本日16時までに発送いたします。" * 300
    hits = DET["ja"].detect(long)
    assert sum(h.intent == "promises_concrete_time" for h in hits) == 300


def test_fast_normalisation_path_equals_the_careful_one() -> None:
    """The identity-offset fast path must give exactly what the per-character path gives."""
    from simulator.language.normalize import _collapse_spaces, _fold_chars, _kanji_numerals, _normalize_cached

    pieces = ["ル", "－", "ー", "—", "2", "３", "〜", "～", " ", "　", "ｶ", "ﾞ", "A", "b", "’", "“", "三十", "分",
              "申し訳", "ございません", "。", "?", "・", "①", "㍿", "\n", "e\u0301"]
    import random
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        for lang in ("ja", "en"):
            chars, starts, ends = _collapse_spaces(*_fold_chars(text), lang)
            if lang == "ja":
                chars, starts, ends = _kanji_numerals(chars, starts, ends)
            _normalize_cached.cache_clear()
            got = _normalize_cached(text, lang)
            assert (got.text, got.starts, got.ends) == ("".join(chars), tuple(starts), tuple(ends)), (lang, text)
