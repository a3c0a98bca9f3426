"""The built-in intent ids: the shared words of scenario files, the engines and the scorer.

Scenario files may add patterns to these ids or define new ids under `patterns:`; the
validator refuses any other name in a condition, a mood rule or a signal.
"""

BUILTIN_INTENTS: dict[str, str] = {
    # empathy
    "acknowledges_feeling": "names the customer's feeling (ご心配でしたよね / you must have been worried)",
    "restates_situation": "reflects what the customer went through (〇〇だったのですね / so it never arrived)",
    "rote_empathy": "generic 'I understand how you feel' with nothing specific",
    "apologises": "any apology (申し訳ございません / I'm sorry)",
    "shares_good_news": "shares good news as good news (ご安心ください / good news, it went through)",
    "argues_back": "contradicts or blames the customer (but you said / お客様が…)",
    "takes_ownership": "first-person responsibility (私が確認いたします / I will check this myself)",
    "hides_behind_policy": "hides behind rules (規則ですので / our policy is)",
    "blames_others": "blames carrier, system or colleague to the customer",
    # unspoken needs
    "asks_occasion": "asks about the occasion or purpose (ご用途 / is it for a special day)",
    "asks_deadline": "asks when it is needed (いつまでに / when do you need it by)",
    "asks_usage": "asks how it will be used (毎日お使いですか / do you use it every day)",
    "asks_availability": "asks whether the customer will be home / available (ご不在 / will you be home)",
    "asks_recipient": "asks who it is for (どなたへの / who is it for)",
    "asks_identification": "asks name, order number, order date, phone (お名前 / order number)",
    "asks_details": "asks quantity, variety, size, specifics (何個 / how many, which kind)",
    "asks_open_question": "open question inviting the customer to say more (他に何か / anything else)",
    "confirms_back": "confirms understanding back (〜ということですね / so you need ...)",
    "offers_faster_option": "offers a faster way: same-day shipping, express (本日発送 / ship today)",
    "offers_alternative": "offers a change or workaround: other date, address, pickup, interim option",
    # wait time
    "promises_concrete_time": "a wait or promise with a concrete time (16時までに / within 30 minutes)",
    "vague_wait": "an open-ended wait (少々お待ちください / shortly / as soon as possible)",
    "interim_update": "promises updates on a rhythm (30分ごとに / every 30 minutes)",
    "asks_to_hold": "asks permission to put on hold (お待ちいただいてもよろしいでしょうか / may I put you on hold)",
    "thanks_for_waiting": "thanks on return (お待たせいたしました / thank you for waiting)",
    "offers_callback": "offers to call back (折り返し / call you back)",
    # courtesy and closing
    "greets": "greeting / self-introduction",
    "thanks": "thanks the customer (ありがとうございます / thank you)",
    "offers_hang_up_first": "asks leave to hang up first (お先に失礼してもよろしいでしょうか)",
    "closes": "closes the contact (失礼いたします / goodbye)",
}
