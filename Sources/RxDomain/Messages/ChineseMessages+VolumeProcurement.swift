extension ChineseMessages {
    /// National and provincial VBP agreements and retained savings (国家集采, 结余留用), issue 24.
    static let volumeProcurement: [(english: String, chinese: String)] = [
        ("'{}' is not an amount with at most four decimals", "「{1}」不是最多四位小数的金额"),
        ("'{}' is not a whole number of units", "「{1}」不是整数个最小单位"),
        ("'{}' is not a score from 0 to 100 with at most two decimals", "「{1}」不是 0 到 100、最多两位小数的得分"),
        ("the consortium already has an agreement of batch {} from {}", "本医联体已有 {1} 自 {2} 起的集采协议"),
        ("name at least one member's volume", "至少填写一家成员单位的约定采购量"),
        ("{} is not in the agreement", "{1} 不在本协议中"),
        ("{} used no {} from {} to {}: type the volume", "{1} 在 {3} 至 {4} 未使用 {2}：请填写约定采购量"),
        ("the volumes are not valid", "约定采购量无效"),
        ("a score from 0 to 100", "得分须在 0 到 100 之间"),
        (
            "no member has an agreed volume in agreement {}: nothing to settle",
            "协议 {1} 尚无成员单位的约定采购量：无可结算内容"
        ),
        ("no VBP agreement {}", "没有集采协议 {1}"),
        ("1 to 100 characters", "1 到 100 个字符"),
        ("vbp_agreement.json: '{}' is not an amount", "vbp_agreement.json：「{1}」不是金额"),
        ("{} is before the period's start ({})", "{1} 早于协议期开始日（{2}）"),
        ("an agreement covers one agreement year, at most 366 days", "一份协议只覆盖一个协议年度，最多 366 天"),
        ("name at least one generic name", "至少填写一个通用名"),
        ("{} is named twice", "{1} 重复填写"),
        ("name at least one winning product", "至少填写一个中选产品"),
        ("{} is a drug of {}, not of {}", "{1} 的通用名是 {2}，不是 {3}"),
        ("{} wins once", "{1} 在本协议中只能中选一次"),
        ("the agreement is not valid", "集采协议无效"),
        ("is counted in whole units of the drug", "须为药品最小单位的整数"),
        ("the setting {} must be a percent from 0 to 100, not {}", "设置 {1} 必须是 0 到 100 的百分比，而不是 {2}"),
        (
            "the settings vbp_grade_a_min_score > vbp_grade_b_min_score > vbp_grade_c_min_score do not hold",
            "设置不满足 vbp_grade_a_min_score > vbp_grade_b_min_score > vbp_grade_c_min_score"
        ),
    ]
}
