"""Questions set in another country (bot/elsewhere.py) and what the answerer does with them."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import messages
from bot.answering import Answerer
from bot.elsewhere import Place, place_elsewhere
from bot.language import LanguageDetector
from bot.matching import ANSWERED, SUGGEST, UNANSWERED, Matcher

ELSEWHERE = [
    ("How do I register a company in Japan?", "en", "JP"),
    ("what time is it in Dubai right now", "en", "AE"),
    ("How much capital do I need to set up a GmbH in the Netherlands?", "en", "NL"),
    ("comment créer une société aux États-Unis", "fr", "US"),
    ("¿cómo abro una empresa en España?", "es", "ES"),
    ("Wie gründe ich eine GmbH in Österreich?", "de", "AT"),
    ("come aprire una società in Italia", "it", "IT"),
    ("Como abro uma empresa MEI no Brasil?", "pt", "BR"),
    ("как открыть компанию в Германии", "ru", "DE"),
    ("как открыть компанию в Южной Корее", "ru", "KR"),
    ("рабочая виза в США", "ru", "US"),
    ("كيف أفتح شركة في ألمانيا", "ar", "DE"),
    ("كيف أفتح شركة بالإمارات", "ar", "AE"),
    ("Almanya'da GmbH kurmak için ne kadar sermaye lazım?", "tr", "DE"),
    ("Almanyada şirket kurmak", "tr", "DE"),
    ("日本で株式会社を設立するにはどうすればいいですか？", "ja", "JP"),
    ("ベトナムで就労ビザを取る方法", "ja", "VN"),
    ("한국에서 법인 설립하려면 자본금 얼마 필요해요?", "ko", "KR"),
    ("베트남 사업비자 발급 기간 얼마나 걸려요?", "ko", "VN"),
    ("在日本开公司需要多少钱", "zh", "JP"),
    ("美国签证怎么办", "zh", "US"),
    ("چطور در آلمان شرکت ثبت کنم؟", "fa", "DE"),
    ("هزینه ثبت شرکت تو دبی چقدره", "fa", "AE"),
    ("ویزای کار کانادا چقدر طول میکشه", "fa", "CA"),  # the ezafe: Canada's work visa
    ("جرمنی میں کمپنی کیسے رجسٹر کروائیں", "ur", "DE"),
    ("ترکی میں رہائشی پرمٹ کیسے ملتا ہے", "ur", "TR"),  # residence, not residing
    ("په المان کې شرکت څنګه ثبت کړم", "ps", "DE"),
    ("د دوبۍ ویزه څنګه واخلم؟", "ps", "AE"),  # the genitive: Dubai's visa
    ("د ترکیې اقامت څنګه واخلم", "ps", "TR"),
    ("کینیڈا کا ویزا کیسے ملے گا", "ur", "CA"),
    ("भारत में प्राइवेट लिमिटेड कंपनी कैसे रजिस्टर करें?", "hi", "IN"),
    ("दुबई में कंपनी खोलने का खर्च कितना है", "hi", "AE"),
    ("ভারতে ব্যবসার লাইসেন্স পেতে কত দিন লাগে?", "bn", "IN"),  # "in" joined: -e
    ("দুবাইতে কোম্পানি খোলার খরচ কত?", "bn", "AE"),  # -te
    ("আমেরিকায় ভিসা পেতে কত দিন লাগে?", "bn", "US"),  # -y
    # Dutch, Polish (its cases: "w Niemczech", "do Japonii") and Thai (no spaces)
    ("hoe richt ik een bedrijf op in Duitsland", "nl", "DE"),
    ("hoe krijg ik een werkvisum voor Vietnam", "nl", "VN"),
    ("bedrijf starten in het Verenigd Koninkrijk", "nl", "GB"),
    ("jak założyć firmę w Niemczech", "pl", "DE"),
    ("jak założyć spółkę w Wietnamie", "pl", "VN"),
    ("wiza pracownicza do Japonii", "pl", "JP"),
    ("firma w Korei Południowej", "pl", "KR"),
    ("działalność gospodarcza w Polsce", "pl", "PL"),
    ("ile kosztuje firma w Kanadzie", "pl", "CA"),
    ("wiza do Czech", "pl", "CZ"),
    ("praca na Ukrainie", "pl", "UA"),
    ("จดทะเบียนบริษัทที่ญี่ปุ่นต้องทำยังไง", "th", "JP"),
    ("จดบริษัทในประเทศไทย", "th", "TH"),
    ("วีซ่าทำงานญี่ปุ่น", "th", "JP"),
    ("ขอวีซ่าไปเกาหลี", "th", "KR"),
    ("เปิดบริษัทที่กรุงเทพ", "th", "TH"),
    # cities abroad (CLDR's time zone cities, and aliases)
    ("How do I open a company in Tokyo?", "en", "JP"),
    ("как открыть фирму в Москве", "ru", "RU"),
    ("東京で会社を設立したい", "ja", "JP"),
    ("在东京开公司要多少钱", "zh", "JP"),
    ("서울에서 법인 설립하려면", "ko", "KR"),
    ("서울에서 법인 설립 온라인으로 돼요?", "ko", "KR"),  # 온라인 is not "came"
    ("İstanbul'da şirket kurmak", "tr", "TR"),
    ("como abrir uma empresa em São Paulo", "pt", "BR"),
    ("كيف أفتح شركة في القاهرة", "ar", "EG"),
    ("aprire una società a Milano", "it", "IT"),
    ("Firma gründen in München", "de", "DE"),
    # a visa for a country is that country's
    ("How long does a work visa for Canada take?", "en", "CA"),
    ("Visum für Vietnam als Deutscher, brauche ich das?", "de", "VN"),
    ("Arbeitsvisum für Japan beantragen", "de", "JP"),
    ("combien coûte un visa pour le Canada", "fr", "CA"),
    ("cuánto tarda el visado para España", "es", "ES"),
    ("visto di lavoro per il Giappone", "it", "JP"),
    ("quanto custa o visto para Portugal", "pt", "PT"),
    ("сколько стоит виза в Германию", "ru", "DE"),
    ("как получить визу в Японию", "ru", "JP"),
    ("разрешение на работу в Корею", "ru", "KR"),
    ("فيزا المانيا كم تكلف", "ar", "DE"),
    ("تأشيرة عمل كندا", "ar", "CA"),
    ("Almanya çalışma vizesi ne kadar sürer", "tr", "DE"),
    # Vietnamese, Uzbek, Kazakh
    ("Làm sao xin giấy phép lao động ở Hàn Quốc?", "vi", "KR"),
    ("mở công ty ở Nhật cần bao nhiêu vốn", "vi", "JP"),
    ("làm visa đi Nhật mất bao lâu", "vi", "JP"),
    ("Toshkentda YaTT sifatida qancha soliq to'lanadi?", "uz", "UZ"),
    ("Germaniyada firma ochish", "uz", "DE"),
    ("Қазақстанда ЖК үшін салық қанша?", "kk", "KZ"),
    ("Алматыда компания ашу", "kk", "KZ"),
    # Indonesian, read whatever detection says
    ("Cara apply visa kerja ke Jepang gimana?", "en", "JP"),
    ("Buka PT di Malaysia berapa biayanya?", "nl", "MY"),
]

ABOUT_CHINA = [
    # China, its cities, its language or a foreigner named anywhere
    ("how to register a company in china", "en"),
    ("I live in Germany, how do I open a company in Shanghai?", "en"),
    ("As a foreigner in Japan can I set up a company?", "en"),
    ("美国公司可以开WFOE吗", "zh"),
    ("如何在日本和中国同时注册商标", "zh"),
    # where someone comes from or goes to, who they are
    ("can I send my salary to Germany", "en"),
    ("Türkiye'den şirket kurabilir miyim", "tr"),
    ("перевести деньги в Россию", "ru"),
    ("هل أحتاج تأشيرة للسفر لألمانيا", "ar"),  # ل: to Germany
    ("我是德国人，需要签证吗", "zh"),
    ("日本人ですがビザは必要ですか", "ja"),
    ("日本から書類を持ってくる必要がありますか", "ja"),
    ("日本から書類を持ってくる必要がありますか", "zh"),  # detected as Chinese: still Japanese
    ("한국 사람인데 비자 어떻게 받아요?", "ko"),
    ("한국어로 상담할 수 있어요?", "ko"),
    # money, documents, a parent company or data between the two
    ("Come posso trasferire gli utili alla società madre in Italia?", "it"),
    ("Welche Dokumente müssen in Deutschland apostilliert werden?", "de"),
    ("日本の親会社に配当を送るときの源泉税は？", "ja"),
    ("한국 본사로 배당금 보낼 때 원천세 몇 %?", "ko"),
    ("нужно ли регистрировать товарный знак, если он уже есть в России", "ru"),
    # where the asker lives or is
    ("I live in Japan, do I need a visa for a business trip?", "en"),
    ("지금 한국에 있는데 센터에 방문하려고요", "ko"),
    ("şirket müdürü Türkiye'de yaşayabilir mi", "tr"),
    ("я живу в Германии, нужна ли мне виза", "ru"),
    # a country's name inside another word
    ("법인 도장 종류 어디서 만들어요", "ko"),  # 인도 (India) across two words
    ("올해 한국시리즈 어디가 우승했어?", "ko"),
    ("직원 해고할때 N+1 이란게 뭔지 모르겠어요", "ko"),  # 이란 (Iran)
    ("mali müşavir şart mı", "tr"),  # mali: financial, not Mali
    # Persian, Urdu, Pashto
    ("من در آلمان زندگی می‌کنم، برای ثبت شرکت چه مدارکی لازمه؟", "fa"),
    ("ویزای کار چین برای کسی که در آلمان است", "fa"),
    ("میں جرمنی میں رہتا ہوں، کمپنی رجسٹریشن کیسے ہوگی؟", "ur"),
    ("میں پاکستان سے ہوں، کمپنی کیسے کھولوں", "ur"),  # "میں" before a country: "I"
    ("جرمنی میں میرا بینک اکاؤنٹ ہے، کیا پیسے بھیج سکتا ہوں", "ur"),
    ("زه په المان کې اوسېږم، شرکت څنګه ثبت کړم", "ps"),
    ("زه د افغانستان یم، ویزه څنګه واخلم", "ps"),  # from Afghanistan; a visa for China
    ("د دوبۍ ویزه لرم، چین ته څنګه راشم", "ps"),  # China named
    ("پاکستان کا پاسپورٹ ہے، ویزا کیسے ملے گا", "ur"),
    # no country at all
    ("How do I open a company bank account?", "en"),
    ("", "en"),
    ("मैं भारत में रहता हूँ, कंपनी खोलने के लिए क्या चाहिए?", "hi"),  # where he lives
    ("भारत से पैसे कैसे भेजें", "hi"),  # from India
    ("भारत में हमारी पेरेंट कंपनी है, नई कंपनी कैसे खोलें", "hi"),  # the parent company
    ("चीन में कंपनी कैसे खोलें, मैं भारत में हूँ", "hi"),  # China named
    ("আমি বাংলাদেশে থাকি, কোম্পানি খুলতে কী লাগে?", "bn"),  # where he lives
    ("বাংলাদেশ থেকে মাল আনতে চাই, কাস্টমস রেজিস্ট্রেশন লাগবে?", "bn"),  # from Bangladesh
    ("বাংলাদেশের নাগরিক হিসেবে ওয়ার্ক পারমিট পাব?", "bn"),  # of Bangladesh
    ("ভারতে আমাদের হেড অফিস, এখানে শাখা খুলতে চাই", "bn"),  # the head office
    # Dutch, Polish and Thai: where the asker lives or is, China named, what ties the two
    ("ik woon in Nederland, welk visum heb ik nodig", "nl"),
    ("ik woon in Duitsland, hoe open ik een bedrijf in Shanghai", "nl"),
    ("winst naar het moederbedrijf in Nederland sturen", "nl"),
    ("mieszkam w Polsce, czy potrzebuję wizy", "pl"),
    ("pracuję w polskiej firmie, czy potrzebuję wizy", "pl"),  # an adjective, not Poland
    ("czy jestem w stanie założyć firmę sam", "pl"),  # "w stanie": able to
    ("jak założyć firmę w Chinach, mieszkam w Niemczech", "pl"),
    ("Czy strona firmy potrzebuje ICP? Mam hosting w Niemczech", "pl"),
    ("płacimy opłatę licencyjną spółce matce w USA, jaki podatek obowiązuje?", "pl"),
    ("ผมอยู่ไทย อยากเปิดบริษัทที่เซี่ยงไฮ้", "th"),
    ("ผมอยู่ที่ญี่ปุ่น ต้องขอวีซ่าไหม", "th"),
    ("ผมเป็นคนไทย ต้องขอวีซ่าไหม", "th"),
    ("เปิดบัญชีธนาคารในไทยได้ไหม", "th"),
    ("ตอบเป็นภาษาอังกฤษได้ไหม", "th"),
    # words that are also places, and where the asker is or comes from
    ("que papéis da empresa levo na reunião com vocês", "pt"),  # in the meeting
    ("dá pra ser representante legal morando no Brasil?", "pt"),
    ("주재원 임기 끝나고 한국 복귀하는데 서류 뭐 있어요?", "ko"),  # back to Korea
    ("перевести деньги в Германию", "ru"),  # to Germany, no visa
    ("I need a visa for my trip to Shanghai", "en"),
    ("Tôi ở Hàn Quốc, muốn hỏi về visa", "vi"),  # where he is
    ("Toshkentda yashayman, firma ochmoqchiman", "uz"),  # lives in Tashkent
    ("Алматыда тұрамын, компания ашқым келеді", "kk"),
    ("Mở công ty ở Trung Quốc, tôi đang ở Việt Nam", "vi"),  # China named
    # China named, or what ties the two countries together
    ("налоговая в России требует подтвердить, что я налоговый резидент Китая", "ru"),
    ("храним данные клиентов в облаке aws в сша", "ru"),
    ("حصلت على عرض عمل من شركة في هانغتشو وأنا حاليًا في عمّان", "ar"),
    ("مالیات تکلیفی روی حق امتیازی که به شرکت مادر تو آمریکا میدیم", "fa"),
    ("马德里商标在中国被驳回怎么办", "zh"),
    ("马德里体系", "zh"),
    ("Can I use the Madrid system from Spain?", "en"),
    ("日本での職務経験5年です。就労許可は取れますか", "ja"),
    ("I have 5 years of experience in Japan, can I get a work permit?", "en"),
    ("Em tốt nghiệp đại học ở Việt Nam, có 3 năm kinh nghiệm", "vi"),
    ("Công ty mình trả phí cho công ty mẹ ở Việt Nam", "vi"),
    ("Saya tinggal di Malaysia, mau buka PT di Shanghai", "en"),
    ("Saya udah bayar BPJS di Indonesia, wajib ikut social insurance?", "en"),
    ("Saya tinggal di Malaysia, apa perlu visa bisnis?", "en"),
    ("한국에서 왔는데 비자 연장 어떻게 해요?", "ko"),  # 에서: from, with "came"
    ("일본에서 출장 왔어요, 사무실 임대 가능해요?", "ko"),
    ("서울에서 온 직원 비자 문제", "ko"),
]


@pytest.mark.parametrize(("text", "lang", "code"), ELSEWHERE)
def test_a_question_set_in_another_country_is_found(text, lang, code):
    place = place_elsewhere(text, (lang,))
    assert place is not None and place.code == code


@pytest.mark.parametrize(("text", "lang"), ABOUT_CHINA)
def test_a_question_about_china_is_not(text, lang):
    assert place_elsewhere(text, (lang,)) is None


def test_english_names_are_read_whatever_the_language():
    assert place_elsewhere("как открыть компанию in Japan", ("ru",)) == Place("JP", "japan")


def test_hong_kong_macao_and_taiwan_are_not_another_country():
    for text in ("open a company in Hong Kong", "work visa in Macao", "tax in Taiwan"):
        assert place_elsewhere(text, ("en",)) is None


def test_the_country_is_named_in_the_reply_language():
    place = place_elsewhere("日本で会社を作りたい", ("ja",))
    assert place is not None
    assert (place.name("ko"), place.name("fr"), place.name("ja")) == ("일본", "Japon", "日本")
    assert place.name("xx") == "Japan"  # no CLDR names: English


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["en", "ru", "ar", "tr", "ko", "ja", "zh", "xx"]))
def test_any_text_is_read_and_china_always_wins(text, lang):
    place = place_elsewhere(text, (lang,))
    assert place is None or len(place.code) == 2
    assert place_elsewhere(f"{text} in China", (lang,)) is None


# The answerer --------------------------------------------------------------------------


def test_no_answer_about_china_for_another_country_but_its_entries_are_offered(small_answerer):
    plain = small_answerer.ask("How do I get a work permit?")
    assert (plain.status, plain.id, plain.elsewhere, plain.notice) == (
        ANSWERED,
        "work-permit",
        None,
        "",
    )
    a = small_answerer.ask("How do I get a work permit in Vietnam?")
    assert (a.status, a.id, a.elsewhere) == (SUGGEST, None, "VN")
    notice = messages.text("en", "elsewhere", country="Vietnam")
    assert a.notice == notice
    assert a.reply.startswith(notice + "\n\n" + messages.text("en", "elsewhere_suggest"))
    assert [s.id for s in a.suggestions] == ["work-permit"]
    assert "1. How do I get a work permit for a foreign employee?" in a.reply
    assert a.parts == ()


def test_in_the_users_language_and_unanswered_when_nothing_is_close(small_answerer):
    a = small_answerer.ask("한국에서 법인 설립하려면 자본금 얼마 필요해요?")
    assert (a.status, a.language, a.elsewhere) == (UNANSWERED, "ko", "KR")
    assert a.reply.startswith(messages.text("ko", "elsewhere", country="대한민국"))
    assert a.reply.endswith(messages.text("ko", "unanswered"))


def test_a_long_message_set_elsewhere_says_both(small_answerer):
    a = small_answerer.ask("How do I get a work permit in Vietnam? " + "x " * 600)
    assert a.truncated and a.elsewhere == "VN"
    assert a.reply.startswith(messages.text("en", "truncated") + "\n\n")
    assert messages.text("en", "elsewhere", country="Vietnam") in a.reply


def test_the_check_can_be_turned_off(small_answerer):
    config = small_answerer.config
    off = replace(config, matching=replace(config.matching, hold_other_countries=False))
    matcher = Matcher(small_answerer.kb, off.matching, small_answerer.matcher.encoder, None)
    answerer = Answerer(small_answerer.kb, matcher, small_answerer.detector, off)
    a = answerer.ask("How do I get a work permit in Vietnam?")
    assert (a.status, a.id, a.elsewhere) == (ANSWERED, "work-permit", None)


def test_the_shipped_knowledge_base_holds_back_other_countries(answerer):
    for text, code in (
        ("日本で株式会社を設立するにはどうすればいいですか？", "JP"),
        ("Как открыть компанию в Германии и сколько нужно капитала?", "DE"),
        ("How do I get a business visa for Vietnam? I mean a visa to work in Vietnam", "VN"),
    ):
        a = answerer.ask(text)
        assert (a.status != ANSWERED, a.elsewhere) == (True, code), text
    china = answerer.ask("中国で株式会社を設立するにはどうすればいいですか？")
    assert (china.status, china.elsewhere) == (ANSWERED, None)


def test_thai_polish_and_dutch_questions_about_their_own_country_are_held_back(answerer, config):
    """Thai, Polish and Dutch users read answers in their language: one asking how to set up
    a company at home must not get China's procedure as if it were their country's."""
    every = Answerer(
        answerer.kb, answerer.matcher, LanguageDetector(config.languages.supported), config
    )
    for text, code, lang, name in (
        ("จดทะเบียนบริษัทจำกัดในประเทศไทยต้องทำยังไง", "TH", "th", "ไทย"),
        ("Jak założyć spółkę z o.o. w Polsce?", "PL", "pl", "Polska"),
        ("Hoe richt ik een BV op in Nederland?", "NL", "nl", "Nederland"),
    ):
        a = every.ask(text)
        assert (a.status != ANSWERED, a.elsewhere, a.language) == (True, code, lang), text
        assert name in a.notice, a.notice
    for text in ("จดทะเบียนบริษัทในจีนต้องทำยังไง", "Jak założyć firmę w Chinach?"):
        assert every.ask(text).elsewhere is None, text


def test_a_language_without_a_locale_names_the_country_in_english(small_answerer):
    """A Persian speaker reads the bot's words in English, the country's name included."""
    answer = small_answerer.ask("چطور در آلمان شرکت ثبت کنم؟")
    assert (answer.language, answer.elsewhere) == ("fa", "DE")
    assert answer.notice.startswith("Your question seems to be about another country (Germany).")


def test_a_language_the_bot_does_not_configure_is_read_in_its_own_grammar(small_answerer):
    """Vietnamese is detected as the nearest configured language and answered in English;
    "ở Hàn Quốc" (in Korea) is still read as Vietnamese, and Kazakh's joined "in" too."""
    answer = small_answerer.ask("Làm sao để xin giấy phép lao động ở Hàn Quốc?")
    assert (answer.written_in, answer.elsewhere) == ("vi", "KR")
    kazakh = small_answerer.ask("Алматыда жұмыс рұқсатын қалай алуға болады?")
    assert (kazakh.written_in, kazakh.elsewhere) == ("kk", "KZ")
