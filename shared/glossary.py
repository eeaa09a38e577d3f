"""One glossary: the Chinese words the web pages and the printed papers (the repair bill, the visit
report) both use for the same thing, code → words.

Plain dicts, so a service's PDF can import them without the gateway. The pages say the same through
the web app's catalog (gateway/web/locale/zh_CN): tests/gateway/test_words_catalog.py checks that the
catalog's Chinese for each code in gateway/web/words.py (and the visits page) is the word here.
Chinese punctuation throughout (，。：；（）).
"""

# The warranted components of a unit (domain.md, "Warranty terms").
COMPONENTS = {
    "unit": "整机",
    "electrical_lines": "电气管线",
    "water_piping": "给排水管道",
    "installation": "设备安装工程",
    "heating_system": "供热系统",
    "cooling_system": "供冷系统",
}
# The causes a technician names on a claim.
CAUSES = {
    "quality_defect": "产品质量问题",
    "unknown": "原因不明",
    "improper_use": "未按说明书使用",
    "improper_maintenance": "未按说明书维护",
    "improper_storage": "未按说明书保管",
    "improper_transport": "未按说明书运输",
    "unstable_power_supply": "电源不稳定",
    "harsh_environment": "使用环境恶劣",
    "modified_wiring": "擅自改动线路",
    "replaced_internal_parts": "擅自更换内部零件",
    "force_majeure": "不可抗力",
    "natural_disaster": "自然灾害",
    "accident": "意外事故",
}
# The warranty decision on a claim.
DECISIONS = {"approved": "属于保修范围", "rejected": "不属于保修范围"}
# A repair bill's state, its lines' kinds and how it was paid.
BILL_STATUSES = {"issued": "已开具，未付款", "paid": "已付款", "void": "已作废"}
LINE_KINDS = {"part": "配件", "labor": "人工", "callout": "上门费"}
PAYMENT_METHODS = {"cash": "现金", "bank_transfer": "银行转账", "wechat_pay": "微信支付", "alipay": "支付宝"}
# A planned visit's kind and the result of each checklist item.
VISIT_KINDS = {
    "pre_season": "季前检查（开机前）",
    "pre_shutdown": "季末检查（关机前）",
    "maintenance": "保养",
    "inspection": "巡检",
}
CHECK_RESULTS = {"ok": "正常", "fixed": "修复", "needs_repair": "需维修", "not_applicable": "不适用"}
