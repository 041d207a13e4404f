import Foundation

/// The Chinese of the service's messages, by template: the English as written where it is raised with each
/// interpolated value as `{}`, and the Chinese with `{1}`, `{2}`, … for those values in their order. A value
/// that is itself a message of the catalogue (a reason inside a refusal) is translated too.
/// `ChineseMessageCoverageTests` reads the sources and fails on a message that has no entry here.
package enum ChineseMessages {
    /// Translates a whole message, or nil when the catalogue does not have it.
    package static func translate(_ english: String) -> String? {
        if let exact = compiled.exact[english] { return exact }
        let range = NSRange(english.startIndex..., in: english)
        for template in compiled.patterns {
            guard let match = template.regex.firstMatch(in: english, range: range) else { continue }
            var values: [String] = []
            for i in 1..<match.numberOfRanges {
                let value = Range(match.range(at: i), in: english).map { String(english[$0]) } ?? ""
                values.append(translateValue(value))
            }
            var chinese = template.chinese
            for (i, value) in values.enumerated().reversed() {
                chinese = chinese.replacingOccurrences(of: "{\(i + 1)}", with: value)
            }
            return chinese
        }
        return nil
    }

    /// A value inside a message: `field: reason`s, a message of the catalogue, or several messages joined by `; `
    /// (a list of refusals), translated; else the value as it is (a code, a date, a number).
    static func translateValue(_ value: String) -> String {
        if let fields = translateFieldMessage(value) { return fields }
        if value.contains("; ") {
            let parts = value.components(separatedBy: "; ").map { translateFieldMessage($0) ?? translate($0) }
            if !parts.contains(where: { $0 == nil }) { return parts.map { $0! }.joined(separator: "；") }
        }
        // A list of words each in the catalogue ("tertiary, secondary"); a list of codes stays as it is.
        if value.contains(", ") {
            let parts = value.components(separatedBy: ", ").map { compiled.exact[$0] }
            if !parts.contains(where: { $0 == nil }) { return parts.map { $0! }.joined(separator: "、") }
        }
        return translate(value) ?? value
    }

    /// `field: reason` (or several joined by `; `), with each reason translated; nil when one is not in the catalogue.
    package static func translateFieldMessage(_ english: String) -> String? {
        var parts: [String] = []
        for part in english.components(separatedBy: "; ") {
            guard let colon = part.range(of: ": "), !part[..<colon.lowerBound].contains(" "),
                let reason = translate(String(part[colon.upperBound...]))
            else { return nil }
            parts.append("\(part[..<colon.lowerBound])：\(reason)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "；")
    }

    /// Whether the catalogue has a template for this English template (`{}` for each value; for tests).
    package static func has(template: String) -> Bool {
        entries.contains { $0.english == template }
    }

    struct Template { var regex: NSRegularExpression; var chinese: String }

    static let compiled: (exact: [String: String], patterns: [Template]) = {
        var exact: [String: String] = [:]
        var patterns: [(lead: Int, literal: Int, template: Template)] = []
        for (english, chinese) in entries {
            guard english.contains("{}") else { exact[english] = chinese; continue }
            let pieces = english.components(separatedBy: "{}")
            // `{}: {}` (how `DomainError.invalid` joins a field and its reason) is listed for the coverage test only:
            // as a pattern it would match every `x: y` and split a list of `field: reason`s at the wrong colon.
            // `translateFieldMessage` translates those.
            guard pieces.joined().contains(where: \.isLetter) else { continue }
            let pattern = "^" + pieces.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "(.+?)") + "$"
            let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
            patterns.append((pieces[0].count, pieces.reduce(0) { $0 + $1.count }, Template(regex: regex, chinese: chinese)))
        }
        // The most specific template first: "no commitment {} in round {}" before "no {}". A template that opens
        // with words before one that opens with a value, so a refusal and its list ("version {} cannot be published:
        // {}") is not taken for a message of the list ("{} of the {} member endorsements needed").
        return (exact, patterns.sorted { ($0.lead, $0.literal) > ($1.lead, $1.literal) }.map(\.template))
    }()

    /// English template → Chinese. Keep it sorted by where the message is raised.
    static let entries: [(english: String, chinese: String)] =
        generic + contract + access + masterData
        + catalogue + pricing + procurement + herbs + longPrescriptions + transfers + reconciliation + database
        + shortageScan + volumeProcurement + crosswalk

    /// The request itself.
    static let generic: [(english: String, chinese: String)] = [
        ("a JSON body is required", "需要 JSON 请求体"),
        ("is required", "为必填项"),
        ("must be positive", "必须大于 0"),
        ("is not valid JSON", "不是有效的 JSON"),
        ("expected a string", "应为字符串"),
        ("expected a boolean", "应为布尔值"),
        ("expected an integer", "应为整数"),
        ("expected a number", "应为数字"),
        ("expected a value of another type", "类型不正确"),
        ("expected a string, found null", "应为字符串，不能为 null"),
        ("expected a boolean, found null", "应为布尔值，不能为 null"),
        ("expected an integer, found null", "应为整数，不能为 null"),
        ("expected a number, found null", "应为数字，不能为 null"),
        ("expected a value of another type, found null", "不能为 null"),
        ("could not be read", "无法读取"),
        ("not a date YYYY-MM-DD", "不是日期（YYYY-MM-DD）"),
        ("'{}' is not a date YYYY-MM-DD", "“{1}”不是日期（YYYY-MM-DD）"),
        ("not a date-time (RFC 3339) or a date YYYY-MM-DD", "不是时间（RFC 3339）或日期（YYYY-MM-DD）"),
        (
            "'{}' is not a date-time (RFC 3339, e.g. 2026-12-01T08:00:00+08:00) or a date YYYY-MM-DD",
            "“{1}”不是时间（RFC 3339，如 2026-12-01T08:00:00+08:00）或日期（YYYY-MM-DD）"
        ),
        ("{} is before {}; no business date is earlier", "{1} 早于 {2}，不可能有更早的业务日期"),
        ("{} is after today ({}); it has not happened yet", "{1} 晚于今天（{2}），尚未发生"),
        ("{} is before {} ({})", "{1} 早于{2}（{3}）"),
        ("the request was cancelled (the server is stopping); retry", "请求被取消（服务正在停止），请重试"),
        ("an unexpected error; it has been logged", "发生意外错误，已记入日志"),
        ("Not Found", "未找到"),
        ("Method Not Allowed", "不支持该方法"),
        ("{} is not a method of this path; it allows {}", "该路径不支持 {1} 方法；允许的方法：{2}"),
        ("the request body is larger than {} bytes", "请求体超过 {1} 字节"),
        ("{}: {}", "{1}：{2}"),
        ("'{}' is not a known {}", "“{1}”不是已知的 {2}"),
        ("Content-Type: the parameter '{}' is given more than once", "Content-Type：参数“{1}”出现了不止一次"),
        ("is required: say why the change is made", "为必填项：请说明修改原因"),
        ("is longer than {} characters", "超过 {1} 个字符"),
        ("must be between 1 and {}", "必须在 1 到 {1} 之间"),
        ("malformed", "格式不正确"),
        ("not a cursor this service issued", "不是本服务签发的游标"),
        ("unknown", "未知"),
    ]

    /// What the contract forbids (ContractValidator, ContractSchema).
    static let contract: [(english: String, chinese: String)] = [
        ("is not a query parameter of this operation", "不是该操作的查询参数"),
        ("is not a known property", "不是已知的属性"),
        ("must not be null", "不能为 null"),
        ("must not be empty", "不能为空"),
        ("must be true or false", "必须是 true 或 false"),
        ("must be an integer", "必须是整数"),
        ("must be a number", "必须是数字"),
        ("must be a string", "必须是字符串"),
        ("must be a boolean", "必须是布尔值"),
        ("must be an object", "必须是对象"),
        ("must be an array", "必须是数组"),
        ("must be a whole number", "必须是整数"),
        ("must be a date YYYY-MM-DD", "必须是日期（YYYY-MM-DD）"),
        ("must be an RFC 3339 date-time", "必须是 RFC 3339 时间"),
        ("must be an RFC 3339 date-time or a date YYYY-MM-DD", "必须是 RFC 3339 时间或日期（YYYY-MM-DD）"),
        ("must be at least {} characters", "至少 {1} 个字符"),
        ("must be at most {} characters", "最多 {1} 个字符"),
        ("must be at least {}", "不能小于 {1}"),
        ("must be at most {}", "不能大于 {1}"),
        ("must be one of {}", "必须是以下之一：{1}"),
        ("must match {}", "格式不符（{1}）"),
        ("must have at least one item", "至少要有一项"),
        ("must have at least {} items", "至少 {1} 项"),
        ("must have at most {} items", "最多 {1} 项"),
    ]

    /// Tokens, roles and what a token may reach (Authentication, RoleGate, AccessPolicy, Role, TokenStore).
    static let access: [(english: String, chinese: String)] = [
        ("a bearer token is required", "需要 Bearer 令牌"),
        ("a bearer token is required (Authorization: Bearer TOKEN)", "需要 Bearer 令牌（Authorization: Bearer TOKEN）"),
        ("the token is unknown, expired or revoked", "令牌无效、已过期或已吊销"),
        ("the {} role may not {}", "{1} 角色无权执行 {2}"),
        ("the {} role may not do this here", "{1} 角色无权在此执行该操作"),
        (
            "a {} token belongs to no consortium: national master data is shared by all",
            "{1} 令牌不属于任何医联体：全国主数据由各医联体共用"
        ),
        ("a {} token belongs to no institution", "{1} 令牌不属于任何医疗机构"),
        ("a {} token belongs to a consortium: name it", "{1} 令牌必须属于一个医联体：请指定医联体"),
        ("must be between {} and {} days, not {}", "必须在 {1} 到 {2} 天之间，不能是 {3} 天"),
        ("token not created", "令牌未能创建"),
        ("no active token {}", "没有有效的令牌 {1}"),
        (
            "must be 2 to 40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
            "须为 2 到 40 个小写字母、数字或“.”“_”“-”，并以字母或数字开头"
        ),
        ("must be at least {} characters", "至少需要 {1} 个字符"),
        ("must be at most 72 bytes (24 Chinese characters)", "最多 72 字节（约 24 个汉字）"),
        ("must not contain the user name", "不能包含用户名"),
        ("the user name {} is taken", "用户名 {1} 已被使用"),
        ("the user {} is already disabled", "用户 {1} 已停用"),
        ("no user {}", "没有用户 {1}"),
        ("unknown user", "用户不存在"),
        ("a form is sent as application/x-www-form-urlencoded", "表单须以 application/x-www-form-urlencoded 提交"),
    ]

    /// Consortia, institutions, drugs and suppliers (national and consortium master data), and the shapes of codes.
    static let masterData: [(english: String, chinese: String)] = [
        ("no consortium {}", "没有医联体 {1}"),
        ("no institution {}", "没有医疗机构 {1}"),
        ("no institution {} in {}", "医联体 {2} 中没有医疗机构 {1}"),
        ("no member {}", "没有成员单位 {1}"),
        ("no member {} in {}", "医联体 {2} 中没有成员单位 {1}"),
        ("{} is not a member of {}", "{1} 不是医联体 {2} 的成员单位"),
        ("no drug {}", "没有药品 {1}"),
        ("no supplier {}", "没有供应商 {1}"),
        ("'{}' is not a year", "“{1}”不是年份"),
        ("the drug is not valid", "药品信息不符合要求"),
        ("the change is not valid", "修改内容不符合要求"),
        ("{} is not a known edition of the essential medicines list", "{1} 不是已知的国家基本药物目录版本"),
        ("the supplier is not valid", "供应商信息不符合要求"),
        ("{} is not a known manufacturer", "{1} 不是已登记的生产企业"),
        ("must be at least 1", "不能小于 1"),
        ("a decoction piece names its herb, processing and grade", "中药饮片须注明药材、炮制方法和等级"),
        ("decoction pieces are counted in g or kg", "中药饮片须以 g 或 kg 计量"),
        ("only a decoction piece names a herb", "只有中药饮片才注明药材"),
        ("a supplier is a manufacturer, a distributor or both", "供应商须为生产企业、配送企业或两者兼是"),
        ("a manufacturer needs its manufacturing licence number", "生产企业须填写药品生产许可证编号"),
        ("a distributor needs its distribution licence number", "配送企业须填写药品经营许可证编号"),
        ("names the supplier itself", "不能填写该供应商自身"),
        // The shapes of codes (Codes.institutionCodeError, Codes.drugCodeError).
        (
            "must be 2 to 32 upper-case letters, digits, '-' or '_', starting with a letter or digit",
            "须为 2 到 32 位大写字母、数字、“-”或“_”，并以字母或数字开头"
        ),
        (
            "must be 1 to 40 letters, digits, '.', '-' or '_', starting with a letter or digit",
            "须为 1 到 40 位字母、数字、“.”、“-”或“_”，并以字母或数字开头"
        ),
    ]

    /// The consortium essential drug catalogue (基本用药目录) and members' lists inside it.
    static let catalogue: [(english: String, chinese: String)] = [
        ("version {} is a draft; endorsements are awaited once it is proposed", "第 {1} 版仍是草稿；提交征求意见后才需要成员确认"),
        ("no catalogue version of {} is in effect on {}", "医联体 {1} 在 {2} 没有生效的目录版本"),
        ("no catalogue version {}", "没有目录版本 {1}"),
        (
            "version {} is still open; publish it first (one open draft at a time)",
            "版本 {1} 尚未发布，请先发布（同一时间只能有一个未发布的版本）"
        ),
        ("the draft was not created", "目录草案未能创建"),
        ("version {} is {}; only a draft changes", "版本 {1} 的状态为 {2}；只有草案（draft）可以修改"),
        ("version {} has no item {}", "版本 {1} 中没有品种 {2}"),
        ("an empty catalogue cannot be proposed", "空目录不能提请审议"),
        ("version {} is {}; it cannot become {}", "版本 {1} 的状态为 {2}，不能改为 {3}"),
        ("an endorsement is recorded with a token scoped to the member institution", "表态须使用该成员单位本机构的令牌登记"),
        ("an objection says why", "提出异议须说明理由"),
        (
            "version {} is {}; members endorse a proposed version",
            "版本 {1} 的状态为 {2}；成员单位只能对提请审议（proposed）的版本表态"
        ),
        ("{} is in the past; a catalogue takes effect today or later", "{1} 已经过去；目录只能自今天或以后生效"),
        (
            "version {} is {}; only a proposed version is published",
            "版本 {1} 的状态为 {2}；只有提请审议（proposed）的版本才能发布"
        ),
        ("must be after {}, when the current version took effect", "必须晚于现行版本的生效日期 {1}"),
        ("the consortium has no lead institution", "本医联体没有牵头医院"),
        ("there is no draft; open one first", "目前没有草案，请先开始新一版草案"),
        ("only the consortium's pharmacy centre manages its console accounts", "只有本医联体药学中心可以管理控制台账户"),
        ("no consortium", "没有该医联体"),
        ("'{}' is not a known institution level", "“{1}”不是已知的机构级别"),
        ("must be a positive whole number", "必须是正整数"),
        ("version {} cannot be published: ", "版本 {1} 不能发布："),
        ("version {} cannot be published: {}", "版本 {1} 不能发布：{2}"),
        ("the lead institution has not endorsed it", "牵头医院尚未同意"),
        ("{} of the {} member endorsements needed", "已有 {1} 家成员单位同意，需要 {2} 家"),
        ("open objections from {}", "以下成员单位的异议尚未解决：{1}"),
        (
            "the consortium has no catalogue in effect; a member's list must lie inside it",
            "本医联体没有现行的基本用药目录；成员单位的用药目录必须在其范围内"
        ),
        (
            "{} drug(s) lie outside the consortium catalogue for a {} institution: ",
            "有 {1} 种药品不在医联体目录中{2}机构可用的范围内："
        ),
        (
            "{} drug(s) lie outside the consortium catalogue for a {} institution: {}",
            "有 {1} 种药品不在医联体目录中{2}机构可用的范围内：{3}"
        ),
        ("not in the consortium catalogue in effect", "不在医联体现行基本用药目录内"),
        ("restricted to {} institutions, not {}", "仅限{1}机构使用，{2}机构不可用"),
        // Institution levels as values inside a message (InstitutionLevel's raw values).
        ("tertiary", "三级"), ("secondary", "二级"), ("primary", "基层"), ("village", "村卫生室"),
        (
            "{} is neither on the national essential medicines list nor insurance-listed: give a written justification",
            "{1} 既不是国家基本药物，也不在医保目录内：请提供书面理由"
        ),
    ]

    /// Unified prices (统一价格): provincial winning-bid prices, consortium-negotiated prices and their reports.
    static let pricing: [(english: String, chinese: String)] = [
        (
            "the prices of {} are being changed by another transaction (an import of prices?); retry in a moment",
            "{1} 的价格正被另一事务修改（可能正在导入价格），请稍后重试"
        ),
        ("no unified price of {} is in effect on {}", "{1} 在 {2} 没有生效的统一价格"),
        ("no price agreement {}", "没有价格协议 {1}"),
        ("a joint-procurement price comes from the award of its round", "联合带量采购价格只能来自该轮次的中选结果"),
        ("{} is not in the consortium catalogue in effect on {}", "{1} 不在 {2} 现行的医联体基本用药目录内"),
        (
            "{} has no provincial winning-bid price in effect on {} to cap a negotiated price",
            "{1} 在 {2} 没有生效的省级中标价，无法确定集中议定价格的上限"
        ),
        ("the provincial price is per {}; give the negotiated price per {} too", "省级中标价按 {1} 计价；议定价格也须按 {2} 计价"),
        ("{} is above the provincial winning-bid price {}", "{1} 高于省级中标价 {2}"),
        (
            "the negotiated price {} exceeds the provincial winning-bid price {} ({}) in effect on {}",
            "议定价格 {1} 高于 {4} 生效的省级中标价 {2}（{3}）"
        ),
        ("the agreement was not recorded", "价格协议未能保存"),
        (
            "agreement {} is a {} price, {}; only an agreed negotiated price is reported",
            "价格协议 {1} 的价格来源为 {2}，状态为 {3}；只有已议定（agreed）的集中议定价格才需报送"
        ),
        ("only the consortium admin corrects the report date of a price", "只有医联体管理员可以更正价格的报送日期"),
        ("{} was imported for {} from {} at {} per {}", "{1} 已导入过：{2} 自 {3} 起每 {5} {4}"),
        ("'{}' is not a positive amount with at most four decimals", "“{1}”不是大于 0 且最多四位小数的金额"),
        (
            "agreement {} is not a negotiated price; only a negotiated price has a report date",
            "价格协议 {1} 不是集中议定价格；只有集中议定价格才有报送日期"
        ),
        ("agreement {} has not been reported yet; record its report instead", "价格协议 {1} 尚未报送；请改为登记报送"),
        ("agreement {} was superseded by a later price before it began", "价格协议 {1} 在生效前已被后来的价格取代"),
        (
            "agreement {} has been in effect since {}; a price in effect keeps its dates (agree a new price instead)",
            "价格协议 {1} 自 {2} 起已生效；已生效的价格不能更改日期（请另行议定新价格）"
        ),
        ("is required: say why the report date is corrected", "为必填项：请说明更正报送日期的原因"),
        ("{} is before {}", "{1} 早于 {2}"),
        (
            "{} is after today ({}): a price cannot have been reported on a day still to come",
            "{1} 晚于今天（{2}）：价格不可能在尚未到来的日期报送"
        ),
    ]

    /// Unified procurement (统一采购, 两票制): orders, deliveries, consolidated orders, invoices and payment.
    static let procurement: [(english: String, chinese: String)] = [
        ("'{}' is not a positive quantity with at most three decimals", "“{1}”不是大于 0 且最多三位小数的数量"),
        ("consolidated orders are the supply centre's", "只有药品供应保障中心可以办理汇总订单"),
        ("an invoice is reviewed as a whole", "发票须整张审核，不能按差异类型分别审核"),
        ("no payable invoice {}", "没有可付款的发票 {1}"),
        ("from and to are required", "from 和 to 为必填项"),
        ("no order {}", "没有采购订单 {1}"),
        ("{} is not in {}'s catalogue in effect on {}", "{1} 不在 {2} 于 {3} 现行的用药目录内"),
        ("{} is not in {}'s catalogue in effect", "{1} 不在 {2} 现行的用药目录内"),
        ("{} has no unified price in effect on {}", "{1} 在 {2} 没有生效的统一价格"),
        ("a member sees only its own orders", "成员单位只能查看本单位的订单"),
        ("an order has at least one line", "订单至少要有一行"),
        ("the idempotency key is in use; retry", "该幂等键正在使用中，请重试"),
        ("was used for a different order; use a new key", "已用于另一个订单，请使用新的幂等键"),
        ("{} line(s) cannot be ordered", "有 {1} 行无法下单"),
        ("the order was not created", "订单未能创建"),
        (
            "only the member's procurement officer or pharmacist, or the supply centre, moves an order",
            "只有本单位的采购员或药师，或药品供应保障中心，才能变更订单状态"
        ),
        ("an order that is {} receives no deliveries", "状态为 {1} 的订单不能收货"),
        ("order {} has no line {}", "订单 {1} 没有第 {2} 行"),
        ("the date order {} was placed", "订单 {1} 的下单日期"),
        ("lot {} of {} was rejected by the lead's lab and is blocked: {}", "{2} 的批号 {1} 未通过牵头医院的检验，已禁止入库：{3}"),
        ("the delivery is refused: ", "拒绝收货："),
        (
            "the delivery is refused: {} (record it with an exceptionReason to accept it anyway)",
            "拒绝收货：{1}（如仍要接收，请填写 exceptionReason 作为例外登记）"
        ),
        ("{} is not a distributor", "{1} 不是配送企业"),
        ("no contracted distributor", "没有签约的配送企业"),
        ("no distributor is contracted for ", "以下药品没有签约的配送企业："),
        ("no distributor is contracted for {}", "以下药品没有签约的配送企业：{1}"),
        ("no consolidated order {}", "没有汇总订单 {1}"),
        ("an invoice has at least one line", "发票至少要有一行"),
        ("the invoice was not recorded", "发票未能保存"),
        ("order {} line {} is not an order line of {}", "订单 {1} 第 {2} 行不是 {3} 的订单行"),
        ("no invoice {}", "没有发票 {1}"),
        ("invoice {} has discrepancies; finance must resolve them before it is paid", "发票 {1} 存在差异；须由财务处理后才能付款"),
        ("{} exceeds the {} that remains unpaid of {}", "{1} 超过发票金额 {3} 中尚未支付的 {2}"),
        ("the invoice's {} is already paid in full", "发票金额 {1} 已全部付清"),
        ("order {} is {}: its lines change only while it is a draft", "订单 {1} 的状态为 {2}：只有草稿（draft）订单才能修改明细"),
        ("must be positive (remove the line to drop it)", "必须大于 0（不要该行请删除）"),
        ("the order has no line {}", "订单没有第 {1} 行"),
        ("{} is on line {} already: change its quantity instead", "{1} 已在第 {2} 行：请改为修改该行的数量"),
        ("line {} is the order's only line: cancel the order instead", "第 {1} 行是订单仅有的一行：请改为取消订单"),
        ("an order that is {} cannot be {}", "状态为 {1} 的订单不能执行该操作（{2}）"),
        ("an order that is {} cannot be submitted", "状态为 {1} 的订单不能提交"),
        ("an order that is {} cannot be cancelled", "状态为 {1} 的订单不能取消"),
        ("an order that is {} cannot be closed", "状态为 {1} 的订单不能关闭"),
        ("{} would exceed the {} ordered", "累计到货 {1} 将超过订购数量 {2}"),
        ("the lot expired on {}", "该批次已于 {1} 过期"),
        (
            "the lot expires on {}, sooner than the minimum remaining shelf life of {} months",
            "该批次于 {1} 到期，剩余有效期不足最低要求的 {2} 个月"
        ),
        (
            "{} is a distributor: a chain with a second distributor breaks the two-invoice rule (两票制)",
            "{1} 是配送企业：再经一家配送企业流通即违反两票制"
        ),
        ("there is no discrepancy to review", "没有需要审核的差异"),
        ("the discrepancy is already resolved", "该差异已处理完毕"),
        ("no such discrepancy", "没有这条差异"),
        ("must be resolved or disputed", "必须是“已解决”或“有争议”"),
        ("must be auto, utf-8 or gbk", "必须是自动识别、UTF-8 或 GBK"),
        ("an upload is sent as multipart/form-data", "上传文件须以 multipart/form-data 提交"),
        ("the upload could not be stored", "上传的文件无法保存，请稍后重试"),
        ("the upload is not a readable form", "上传的表单无法读取"),
        ("choose the distributor's invoice file", "请选择配送企业的发票文件"),
        ("the file is larger than {} bytes", "文件超过 {1} 字节"),
        ("too long", "过长"),
        ("choose a line", "请选择订单行"),
        ("the receipt form is incomplete; reload it", "接收表单不完整，请刷新页面后重填"),
        ("the count form is incomplete; reload it", "盘点表单不完整，请刷新页面后重填"),
        ("the order form is incomplete; reload it", "订单表单不完整，请刷新页面后重填"),
        ("only a member's people raise its orders", "只有成员单位的人员可以为本单位下采购订单"),
        ("the order is refused: {}", "订单被拒绝：{1}"),
        ("the invoice form is incomplete; reload it", "发票表单不完整，请刷新页面后重填"),
        ("the invoice is refused: {}", "发票被拒绝：{1}"),
        ("is not an order number", "不是订单号"),
        ("is not a line number", "不是行号"),
        ("the inspection is refused: {}", "检测结果被拒绝：{1}"),
        ("is not a number", "不是数字"),
        ("no commitment {}", "没有承诺量记录 {1}"),
        ("no step {}", "没有这一步骤 {1}"),
        ("no extended prescription {}", "没有延伸处方 {1}"),
        ("choose a proposal", "请选择一条调剂建议"),
    ]

    /// Joint volume-based procurement of decoction pieces (中药饮片联合带量采购): rounds, commitments, bids, awards,
    /// quality inspection.
    static let herbs: [(english: String, chinese: String)] = [
        ("a member sees its own missing commitments; this token names no institution", "成员机构只能查看本机构未填报的承诺量；该令牌未指定机构"),
        ("a member sees its own missing commitments, not {}'s", "成员机构只能查看本机构未填报的承诺量，不能查看 {1} 的"),
        ("'{}' is not a percent between 0 and 100 with at most two decimals", "“{1}”不是 0 到 100 之间、最多两位小数的百分比"),
        ("is required when the token names no institution", "令牌未指定医疗机构时为必填项"),
        ("'{}' is not a score from 0 to 100", "“{1}”不是 0 到 100 之间的分数"),
        ("'{}' is not a measured value", "“{1}”不是有效的检测值"),
        ("no herb round {}", "没有中药饮片采购轮次 {1}"),
        ("round {} is closed", "轮次 {1} 已结束"),
        ("round {} has no items", "轮次 {1} 没有采购品种"),
        ("{} is not an item of round {}", "{1} 不是轮次 {2} 的采购品种"),
        ("{} is before the period start {}", "{1} 早于采购周期的开始日期 {2}"),
        ("multiple_within_margin needs a positive margin", "multiple_within_margin 须设置大于 0 的价差幅度"),
        ("must be between 0 and 100", "必须在 0 到 100 之间"),
        ("must be above 0 and at most 100", "必须大于 0 且不超过 100"),
        ("{} must be between 0 and the proposal percent {}", "{1} 必须在 0 到建议比例 {2} 之间"),
        (
            "{} is a {} institution; a round is led by a TCM hospital (tcm or integrated_tcm_western)",
            "{1} 是 {2} 类机构；采购轮次须由中医医院牵头（tcm 或 integrated_tcm_western）"
        ),
        ("{} has no testing lab to inspect the pieces (中药饮片鉴别检测)", "{1} 不具备中药饮片鉴别检测能力"),
        ("the round was not created", "采购轮次未能创建"),
        ("items are fixed once commitments open; round {} is {}", "开始报量后采购品种不能再改；轮次 {1} 的状态为 {2}"),
        ("{} is not a decoction piece", "{1} 不是中药饮片"),
        ("{} is counted in {}; round items are priced per kg", "{1} 以 {2} 计量；轮次品种须按 kg 计价"),
        ("{} has no monograph on record; name the quality standard", "{1} 没有登记药典标准；请注明质量标准"),
        (
            "{} commitment(s) below the minimum wait for the lead to accept or reject them",
            "有 {1} 项低于最低比例的约定采购量，等待牵头医院接受或拒绝"
        ),
        ("the award of {} was not recorded", "{1} 的中选结果未能保存"),
        ("{} is not a decoction-piece manufacturer", "{1} 不是中药饮片生产企业"),
        ("{} is suspended in round {}", "{1} 在轮次 {2} 中已被暂停资格"),
        ("the round requires {}, not {}", "本轮要求 {1}，而不是 {2}"),
        ("the bid was not recorded", "报价未能保存"),
        ("bid {} was already withdrawn: {}", "报价 {1} 已撤回：{2}"),
        ("no bid {} in round {}", "轮次 {2} 中没有报价 {1}"),
        ("{} has no bid in round {}", "{1} 在轮次 {2} 中没有报价"),
        ("no commitment {} in round {}", "轮次 {2} 中没有约定采购量 {1}"),
        ("no institution {} in the consortium", "本医联体中没有医疗机构 {1}"),
        ("commitments are taken while open; round {} is {}", "只在报量阶段（commitments_open）接受约定采购量；轮次 {1} 的状态为 {2}"),
        ("{} has no {} usage of {} to propose from; give the quantity", "{1} 没有 {3} 的 {2} 年用量，无法测算建议量；请直接填写数量"),
        ("the commitment was not recorded", "约定采购量未能保存"),
        ("commitments are locked; round {} is {}", "约定采购量已锁定；轮次 {1} 的状态为 {2}"),
        ("commitment {} is {}; only a pending one is decided", "约定采购量 {1} 的状态为 {2}；只有待审定（pending）的才能审定"),
        ("a member sees its own commitments; this token names no institution", "成员单位只能查看本单位的约定采购量；此令牌未指定医疗机构"),
        ("a member sees its own progress; this token names no institution", "成员单位只能查看本单位的执行进度；此令牌未指定医疗机构"),
        ("lots are inspected once the round is awarded; round {} is {}", "轮次确定中选后才能检验批次；轮次 {1} 的状态为 {2}"),
        ("{} is not an awarded supplier of {} in round {}", "{1} 不是轮次 {3} 中 {2} 的中选企业"),
        ("{} has no quality limits on record (herb_quality_limits)", "{1} 没有登记质量限度（herb_quality_limits）"),
        ("the inspection was not recorded", "检验结果未能保存"),
        ("a round that is {} cannot {}", "状态为 {1} 的轮次不能执行 {2}"),
        ("a round that is {} cannot open_commitments", "状态为 {1} 的轮次不能开始报量"),
        ("a round that is {} cannot open_bidding", "状态为 {1} 的轮次不能开始报价"),
        ("a round that is {} cannot award", "状态为 {1} 的轮次不能确定中选"),
        ("a round that is {} cannot execute", "状态为 {1} 的轮次不能进入执行"),
        ("a round that is {} cannot close", "状态为 {1} 的轮次不能结束"),
        ("commitments are locked once bidding opens; round {} is {}", "开始报价后约定采购量即锁定；轮次 {1} 的状态为 {2}"),
        (
            "bids are taken and withdrawn only while bidding; round {} is {}",
            "只有在报价阶段（bidding）才能报价或撤回报价；轮次 {1} 的状态为 {2}"
        ),
        ("is required: say why", "为必填项：请说明原因"),
        ("at most 1000 characters", "最多 1000 个字符"),
        (
            "{} kg is below the round's minimum of {}% of prior-year usage ({} kg of {} kg); give a reason for the lead to accept",
            "{1} kg 低于本轮的最低约定量（上年用量 {4} kg 的 {2}%，即 {3} kg）；请说明理由，由牵头医院决定是否接受"
        ),
        ("{} is above the ceiling {} per kg (最高有效申报价)", "{1} 高于最高有效申报价（每 kg {2}）"),
        (
            "{} is above the provincial winning-bid price {} per kg ({}) in effect during the round",
            "{1} 高于轮次期间生效的省级中标价（每 kg {2}，{3}）"
        ),
        (
            "the ceiling {} per kg is above the provincial winning-bid price {} per kg ({}, in effect from {}); a round's price may not exceed it",
            "最高有效申报价（每 kg {1}）高于自 {4} 起生效的省级中标价（每 kg {2}，{3}）；轮次价格不得高于省级中标价"
        ),
        ("the monograph limits {}: measure them", "药典标准对 {1} 规定了限度：请检测这些项目"),
        ("the monograph sets a limit of {}; the lot must be measured", "药典标准规定的限度为 {1}；该批次必须检测此项"),
        ("a measured value cannot be negative", "检测值不能为负数"),
        ("identification (鉴别) failed", "鉴别不合格"),
        ("{} {} exceeds the limit {}", "{1} 为 {2}，超过限度 {3}"),
    ]

    /// Long prescriptions (长期处方): the consortium's rules, prescribers, eligibility, issue and fills.
    static let longPrescriptions: [(english: String, chinese: String)] = [
        ("the long-prescription rules could not be read in time; retry later", "未能及时读取长处方规则，请稍后重试"),
        ("a member sees its own institution's prescribers, not {}'s", "成员机构只能查看本机构的处方医师，不能查看 {1} 的"),
        ("{}.dailyDose: {}", "{1}.dailyDose：{2}"),
        ("not a quantity above zero", "不是大于 0 的数量"),
        ("no long-prescription rules are in effect on {}", "{1} 没有生效的长期处方规则"),
        ("must be a quantity above zero with at most ten digits and four decimals", "必须是大于 0 的数量，最多十位数字、四位小数"),
        (
            "must be a pseudonymous id of 1 to 64 letters A-Z or a-z, digits, '_' or '-', never a name or an ID number",
            "必须是 1 到 64 位的化名标识（字母 A-Z 或 a-z、数字、“_”或“-”），不能是姓名或证件号码"
        ),
        ("must be from {} to {}", "必须在 {1} 到 {2} 之间"),
        ("the request breaks the contract: ", "请求不符合接口约定："),
        ("the request breaks the contract: {}", "请求不符合接口约定：{1}"),
        ("{} days is above the national ceiling of {}", "{1} 天超过国家规定的上限 {2} 天"),
        ("the range ends before it starts", "范围的终点早于起点"),
        ("name at least one qualifying condition", "至少列出一种适用的慢性病"),
        ("the rule set is looser than the national rules allow", "规则宽于国家规定"),
        ("the rule set was not recorded", "长期处方规则未能保存"),
        ("prescribers are registered by the pharmacy centre or the institution's pharmacist", "处方医师须由药学中心或本机构药师登记"),
        ("{} is not a registered prescriber of {}", "{1} 不是 {2} 已登记的处方医师"),
        ("the consortium has no long-prescription rules in effect on {}", "本医联体在 {1} 没有生效的长期处方规则"),
        ("a long prescription is issued for one drug at a time", "一张长期处方只能开一种药品"),
        ("was used for a different prescription; use a new key", "已用于另一张处方，请使用新的幂等键"),
        ("the patient still holds supply from long prescription {}", "患者仍有长期处方 {1} 的余药"),
        ("the patient still holds supply from extended prescription {}", "患者仍有延伸处方 {1} 的余药"),
        ("not eligible: ", "不符合长期处方条件："),
        ("not eligible: {}", "不符合长期处方条件：{1}"),
        ("the prescription was not recorded", "处方未能保存"),
        ("no long prescription {}", "没有长期处方 {1}"),
        ("long prescription {} was ended; it is not filled", "长期处方 {1} 已终止，不能再取药"),
        ("long prescription {} has had its {} fills", "长期处方 {1} 已取药 {2} 次，次数已用完"),
        ("outside the prescription's validity of {} days from {}", "超出处方有效期（自 {2} 起 {1} 天）"),
        ("at least {} days must pass after the fill of {}", "距 {2} 的取药须至少间隔 {1} 天"),
        ("{} would exceed the {} issued", "累计取药 {1} 将超过处方开具量 {2}"),
        ("long prescription {} is already ended", "长期处方 {1} 已终止"),
        // Why a drug is refused or shortened (LongPrescriptionRules; the same words as its `zh`).
        ("{} drugs are excluded from long prescriptions", "特殊管理药品（{1}）不得开具长期处方"),
        ("antimicrobials are excluded, except for chronic infections such as tuberculosis", "抗菌药物不得开具长期处方（结核等慢性感染除外）"),
        ("drugs with special storage requirements are excluded", "有特殊储存要求的药品不得开具长期处方"),
        ("the consortium's rules exclude this drug", "本医联体长处方规则排除该药品"),
        ("not in the prescribing institution's catalogue in effect", "该药品不在本机构现行用药目录内"),
        ("no diagnosis is a qualifying chronic condition", "患者诊断不属于长处方适用的慢性病"),
        ("the condition is not stable", "病情不稳定"),
        ("adherence is not good", "用药依从性不佳"),
        ("the last assessment is older than {} days (or none is recorded): assess again", "最近一次病情评估超过 {1} 天（或没有评估记录），需重新评估"),
        ("the patient has no family-doctor contract", "患者未与家庭医生签约"),
        (
            "a first long prescription needs a physician of intermediate title or above, at a secondary or higher hospital or a primary institution",
            "首次长期处方须由具有中级以上职称的医师在二级及以上医院或基层医疗机构开具"
        ),
        ("the patient still holds supply until {}, beyond the {}-day tolerance", "患者仍持有该药品至 {1}，超过 {2} 天容差"),
        ("more than {} days needs the assessment recorded and the patient's confirmation", "超过 {1} 天须在病历中记录评估并经患者签字确认"),
        ("{} days asked, at most {} allowed", "申请 {1} 天，最多可开 {2} 天"),
    ]

    /// Transfers of hospital-made preparations (医疗机构制剂调剂使用): registrations, licences, approvals, shipments.
    static let transfers: [(english: String, chinese: String)] = [
        ("'{}' is not a {}quantity with at most four decimals", "“{1}”不是有效的数量（最多四位小数）"),
        ("'{}' is not a positive quantity with at most four decimals", "“{1}”不是大于 0 且最多四位小数的数量"),
        ("'{}' is not a quantity with at most four decimals", "“{1}”不是最多四位小数的数量"),
        ("{}: ", "{1}："),
        ("the preparation is not registered: {}", "制剂登记不符合要求：{1}"),
        ("the licence is refused: {}", "许可证登记被拒绝：{1}"),
        ("the transfer approval is refused: {}", "调剂批准登记被拒绝：{1}"),
        ("the shipment is refused: {}", "发运被拒绝：{1}"),
        ("a regulator's approval names the authority", "药品监督管理部门的批准须注明批准机关"),
        ("a regulator's approval names its document number", "药品监督管理部门的批准须注明批准文件文号"),
        ("a regulator's approval is dated", "药品监督管理部门的批准须注明批准日期"),
        (
            "this consortium's transfers need the regulator's approval (preparation_transfer_requires_approval)",
            "本医联体的制剂调剂使用须经药品监督管理部门批准（preparation_transfer_requires_approval）"
        ),
        ("only the consortium's lead shares its preparations without approval", "只有医联体牵头医院可以不经批准在医联体内调剂本院制剂"),
        ("only the preparation's producer may supply it", "只有该制剂的配制单位可以调出"),
        ("name at least one receiving institution", "至少指定一家接收机构"),
        ("names an institution twice", "同一机构重复出现"),
        ("the supplier does not transfer to itself", "调出单位不能调剂给自身"),
        ("ends before it begins ({})", "结束日期早于开始日期（{1}）"),
        ("begins before the approval's date {}", "开始日期早于批准日期 {1}"),
        ("an approval number (制剂批准文号) is valid to a date", "制剂批准文号须注明有效期至"),
        ("a preparation licence is valid five years at most", "《医疗机构制剂许可证》有效期最长五年"),
        ("is not a receiver named on the approval", "不是批准文件列明的接收机构"),
        ("{} is in the future", "{1} 是未来的日期"),
        ("{} is outside the approval's period {} to {}", "{1} 不在批准的期限 {2} 至 {3} 内"),
        ("the preparation's registration lapsed after {}", "该制剂的批准文号或备案已于 {1} 后失效"),
        ("the producer holds no preparation licence valid on {}", "配制单位在 {1} 没有有效的《医疗机构制剂许可证》"),
        ("{} is after the shipping date", "{1} 晚于发运日期"),
        ("is not after the production date", "必须晚于生产日期"),
        ("{} would take the shipped total over the approved {} (remaining {})", "{1} 将使累计发运量超过批准数量 {2}（剩余 {3}）"),
        ("{} is a {} drug, not a hospital preparation", "{1} 是 {2} 类药品，不是医疗机构制剂"),
        ("the licence was not recorded", "许可证未能保存"),
        ("no transfer approval {}", "没有调剂批准 {1}"),
        ("{} is not a hospital preparation registered in {}", "{1} 不是医联体 {2} 已登记的医疗机构制剂"),
        ("{} is counted in {}, not {}", "{1} 以 {2} 计量，而不是 {3}"),
        ("the approval was not recorded", "调剂批准未能保存"),
        ("no transfer shipment {}", "没有调剂发运 {1}"),
        ("the shipment was not recorded", "发运记录未能保存"),
        ("shipment {} has been received already", "发运 {1} 已经接收"),
        ("{} is before the shipment left on {}", "{1} 早于发运日期 {2}"),
    ]

    /// Reconciliation (对账) of invoices, catalogues, herb rounds and transfers.
    static let reconciliation: [(english: String, chinese: String)] = [
        ("the invoice file lacks the column(s) {}", "发票文件缺少以下列：{1}"),
        ("the invoice file is empty", "发票文件为空"),
        ("the file has no lines", "文件中没有数据行"),
        ("the run was not recorded", "对账结果未能保存"),
        ("{} changed while it was reconciled; nothing was recorded", "{1} 在对账过程中被修改，未保存任何结果"),
        ("a run's date is unreadable", "无法读取对账日期"),
        ("no reconciliation run {}", "没有对账记录 {1}"),
        ("run {} has no discrepancy on line {}", "对账 {1} 的第 {2} 行没有差异"),
        ("run {} has no discrepancy on line {} classified {}", "对账 {1} 的第 {2} 行没有类型为 {3} 的差异"),
    ]

    /// The database, settings, entity-tags, constraints explained, file imports and the seed.
    static let database: [(english: String, chinese: String)] = [
        ("the database did not answer in time", "数据库未能及时响应"),
        (
            "a record this change needs is locked by another transaction (an import?); retry in a moment",
            "此次修改所需的记录正被另一事务锁定（可能正在导入），请稍后重试"
        ),
        ("the database is not reachable", "无法连接数据库"),
        ("the database is not available", "数据库暂不可用"),
        ("the database is switching to its standby; retry in a moment", "数据库正在切换到备用节点，请稍后重试"),
        ("the database did not answer within {}", "数据库在 {1} 内没有响应"),
        ("shared reads are stuck: {}", "共享查询长时间没有返回：{1}"),
        ("no database connection within {}; retry later", "{1} 内没有取得数据库连接，请稍后重试"),
        ("text must not contain the NUL character (U+0000)", "文本不能包含 NUL 字符（U+0000）"),
        ("a value cannot be stored: too long, out of range, or not a valid date or number", "有值无法保存：过长、超出范围，或不是有效的日期或数字"),
        ("a concurrent change won; retry", "数据已被同时进行的另一项修改更新，请重试"),
        ("send If-Match with the ETag you read ({} now)", "请在 If-Match 中发送读取时得到的 ETag（当前为 {1}）"),
        ("it changed since you read it: its ETag is {} now", "读取后数据已被修改：当前 ETag 为 {1}"),
        (
            "the setting {} is missing: load seeds/reference (consortiumrx seed)",
            "缺少设置 {1}：请加载 seeds/reference（consortiumrx seed）"
        ),
        ("{} is before {} takes effect ({})", "{1} 早于设置 {2} 的生效日期（{3}）"),
        ("the setting {} is not understood: {}", "无法识别设置 {1} 的值：{2}"),
        ("a consortium with this code already exists", "该编码的医联体已存在"),
        ("the consortium already has an institution with this code", "本医联体已有该编码的医疗机构"),
        ("a supplier with this code already exists", "该编码的供应商已存在"),
        ("the distributor's invoice of this number is already recorded", "该配送企业此号码的发票已登记"),
        ("a payment with this reference is already recorded for the invoice", "该发票已登记过此付款凭证号"),
        ("the supplier already has a bid on this item (withdraw it first)", "该企业已对此品种报价（请先撤回）"),
        ("the member has already entered a commitment for this item", "该成员单位已填报此品种的约定采购量"),
        (
            "this lot of the piece is already inspected (lots are compared whatever their case, spaces or full-width form)",
            "该饮片的此批号已检验过（比较批号时不区分大小写、空格和全角半角）"
        ),
        ("must not be blank", "不能为空白"),
        ("the piece is already an item of the round", "该饮片已是本轮的采购品种"),
        ("the preparation is already registered for this producer", "该配制单位已登记此制剂"),
        ("a preparation with this registration number is already registered", "此批准文号（备案号）的制剂已登记"),
        ("a rule set already takes effect on this date", "已有规则在该日期生效"),
        ("this licence is already recorded for the institution", "该机构已登记此许可证"),
        ("a prescriber with this pseudonym is already registered", "此化名的处方医师已登记"),
        ("a provincial price of the drug already starts on this date", "该药品已有自该日期起的省级中标价"),
        ("this approval document is already recorded for the preparation", "该制剂已登记此批准文件"),
        ("the shipment is already received", "该发运已经接收"),
        ("the patient already holds a long prescription of this drug for these days", "患者在这段时间内已有该药品的长期处方"),
        ("overlaps another price period of the drug", "与该药品另一价格的执行期间重叠"),
        ("overlaps another provincial price period of the drug", "与该药品另一省级中标价的执行期间重叠"),
        ("another catalogue version is already open (a draft or a proposal)", "已有另一个未发布的目录版本（草案或提请审议中）"),
        ("another catalogue version already takes effect on this date", "已有另一个目录版本在该日期生效"),
        ("this price was already requested", "此价格已申请过"),
        ("already exists", "已存在"),
        ("overlaps an existing entry", "与已有记录重叠"),
        ("refers to something that does not exist, or is still referred to", "引用的数据不存在，或仍被其他数据引用"),
        ("a required value is missing", "缺少必填的值"),
        ("a value breaks a rule of the data", "有值违反数据规则"),
        // CSV files (CSVStreamParser, CSVTable, InvoiceFile).
        ("a quote inside an unquoted field", "未加引号的字段中出现了引号"),
        ("text after a closing quote", "右引号后还有文字"),
        ("a quoted field is not closed", "加引号的字段没有闭合"),
        ("{} is empty", "{1} 为空"),
        ("{} lacks the column(s) {}", "{1} 缺少以下列：{2}"),
        ("{} fields where the header has {}", "有 {1} 个字段，而表头有 {2} 列"),
        ("not {} text", "不是 {1} 编码的文本"),
        // What a spreadsheet broke (SpreadsheetCell), and the imports' templates (ImportTemplate).
        ("no import {}", "没有导入类型 {1}"),
        ("nothing is owed to distributor {}", "没有欠配送企业 {1} 的款项"),
        ("no orders", "没有可查看的订单"),
        (
            "'{}' is a number in scientific notation: the spreadsheet changed the code. Format the column as text and type the codes again",
            "“{1}”是科学计数法的数字：表格软件改动了编码。请把该列设为“文本”格式后重新填写编码"
        ),
        (
            "'{}' has {} digits where an invoice number has 8 or 20: the spreadsheet dropped its leading zeros. Format the column as text and type the numbers again",
            "“{1}”只有 {2} 位数字，而发票号码为 8 位或 20 位：表格软件去掉了开头的 0。请把该列设为“文本”格式后重新填写号码"
        ),
        // The seed (SeedLoader, DemoData).
        ("edition and effective_from are required", "edition 和 effective_from 为必填项"),
        ("every column is required", "每一列都必须填写"),
        ("unknown level {}", "未知的机构级别 {1}"),
        ("effectiveFrom is not a date", "effectiveFrom 不是日期"),
        ("pseudonym, institution_code and a known title are required", "pseudonym、institution_code 和有效的职称为必填项"),
        ("{} is not a decoction piece of demo/drugs.csv", "{1} 不是 demo/drugs.csv 中的中药饮片"),
        ("monograph is required", "monograph 为必填项"),
        ("{} '{}' is not a positive number", "{1} 的值“{2}”不是正数"),
        ("no drug {} in demo/drugs.csv", "demo/drugs.csv 中没有药品 {1}"),
        // Stock (StockRules, StockTransferRules, StockCountRules, TraceabilityRules).
        ("must not be negative", "不能为负数"),
        ("no stock of lot {} here", "此处没有批号 {1} 的库存"),
        // Opening balances (StockOpeningRules).
        ("is not a drug code", "不是药品编码"),
        ("must be a positive number with at most four decimals", "必须是大于 0、最多四位小数的数"),
        ("is not a location code", "不是库位编码"),
        ("must be an amount with at most four decimals", "必须是最多四位小数的金额"),
        ("{} is not in the member's catalogue", "{1} 不在本成员单位的目录中"),
        ("no location {} at the member", "本成员单位没有库位 {1}"),
        ("lot {} is already on line {}", "批号 {1} 已在第 {2} 行"),
        ("lot {} already has an opening balance here", "批号 {1} 在此处已有期初库存"),
        ("lot {} is held with the expiry date {}", "批号 {1} 在库的有效期至为 {2}"),
        // The NHSA export (NHSAStockExport).
        ("must not be before from ({})", "不能早于 from（{1}）"),
        ("{} is more than the {} that may be issued", "{1} 超过可发的 {2}"),
        ("lot {} expired on {} and is quarantined", "批号 {1} 已于 {2} 过期，已隔离"),
        ("lot {} is recalled", "批号 {1} 已召回"),
        ("lot {} was rejected by inspection and is blocked", "批号 {1} 抽检不合格，已封存"),
        (
            "lot {} has {} days left, less than the minimum shelf life for issue",
            "批号 {1} 距效期仅剩 {2} 天，低于发药的最短剩余效期"
        ),
        ("{} and leaves only destroyed (105) or returned (109)", "{1}，只能销毁（105）或退货（109）出库"),
        (
            "the setting stock_consumption_window_days must be positive, not {}",
            "设置 stock_consumption_window_days 必须大于 0，而不是 {1}"
        ),
        ("a recall names the regulator's notice number", "召回须写明药品监督管理部门的通知文号"),
        ("the lot block is refused: {}", "批号封存被拒绝：{1}"),
        ("a transfer that is {} cannot be {}", "状态为 {1} 的调拨单不能执行该操作（{2}）"),
        ("a member does not transfer to itself", "成员单位不能调拨给自己"),
        ("a transfer has at least one line", "调拨单至少有一行"),
        ("the transfer is refused: {}", "调拨单被拒绝：{1}"),
        ("{} received and damaged is more than the {} dispatched", "实收与破损合计 {1}，超过发出的 {2}"),
        ("a shortfall or damage on receipt needs a reason", "收货时的短少或破损须写明原因"),
        ("the receipt is refused: {}", "收货被拒绝：{1}"),
        ("a count sheet that is {} cannot be approved", "状态为 {1} 的盘点单不能审核"),
        ("a count sheet that is {} cannot be cancelled", "状态为 {1} 的盘点单不能作废"),
        ("a count sheet that is {} takes no counts", "状态为 {1} 的盘点单不能录入盘点数"),
        ("a count is approved by a second person, not by the one who counted it", "盘点须由盘点人以外的另一人审核"),
        ("is not counted yet", "尚未盘点"),
        ("the count cannot be approved: {}", "盘点单不能审核：{1}"),
        ("'{}' is not a traceability code of {} digits", "“{1}”不是 {2} 位的药品追溯码"),
        ("{} is given twice", "{1} 重复出现"),
        ("the product prefix {} maps to no drug", "药品标识码 {1} 没有对应的药品"),
        ("the product prefix {} is {}, not {}", "药品标识码 {1} 对应 {2}，而不是 {3}"),
        ("the traceability codes are refused: {}", "药品追溯码被拒绝：{1}"),
        ("traceability codes already received: {}", "追溯码已入库（码 → 入库机构）：{1}"),
        ("a package of this traceability code was already received", "该追溯码的药品已入库"),
        // The stock ledger's core (DispensingRules, DispensingUseCases, LotRecallUseCases, the ledger's constraints).
        ("a dispensing goes to a patient (patientRef) or to a ward (ward)", "发药须指明患者（patientRef）或病区（ward）"),
        ("a dispensing goes to a patient or to a ward, not both", "发药对象是患者或病区，不能两者都填"),
        ("a dispensing goes to a patient or to a ward, exactly one", "发药对象须是患者或病区之一"),
        (
            "must be a pseudonymous reference (1-64 letters, digits, _ or -), never a name or an ID number",
            "须为化名编号（1-64 位字母、数字、_ 或 -），不能是姓名或身份证号"
        ),
        ("must be 1-100 characters", "须为 1-100 个字符"),
        ("was used for a different dispensing; use a new key", "已用于另一次发药，请使用新的幂等键"),
        ("names the destruction record or the return note", "须写明销毁记录或退货单号"),
        ("{} is more than the {} held of lot {}", "{1} 超过批号 {3} 的现有库存 {2}"),
        (
            "lot {} may still be issued; only expired or blocked stock is destroyed",
            "批号 {1} 仍可发放；只有过期或封存的库存才能销毁"
        ),
        ("the disposal is refused: {}", "出库（销毁或退货）被拒绝：{1}"),
        ("lot block {} is already released", "批号封存 {1} 已解除"),
        ("no dispensing {}", "没有发药记录 {1}"),
        ("{} has no store location {}", "{1} 没有库位 {2}"),
        ("the dispensing was not recorded", "发药未能记录"),
        ("lot {} of {} is already recalled", "{2} 的批号 {1} 已召回"),
        ("no lot block {}", "没有批号封存 {1}"),
        ("the disposal was not recorded", "出库未能记录"),
        ("no delivery on order {} line {}", "订单 {1} 第 {2} 行没有到货记录"),
        ("not enough stock of the lot: another movement took it first", "库存不足：该批号已被另一笔出库占用"),
        (
            "the lot is expired or blocked and leaves only destroyed or returned",
            "该批号已过期或封存，只能销毁或退货出库"
        ),
        ("the lot is held here with another expiry date", "该批号在此处的有效期与所填不同"),
        ("prefix must be 7 digits", "prefix 须为 7 位数字"),
        ("drug_code must be a drug of demo/drugs.csv", "drug_code 须为 demo/drugs.csv 中的药品"),
        ("package is required", "package 为必填项"),
        // Stock documents (StockDocumentRules, StockTransferUseCases, StockCountUseCases and their stores).
        ("the dispatch is refused: {}", "调拨出库被拒绝：{1}"),
        ("name at least one counted lot", "至少录入一个批号的盘点数"),
        ("the count sheet has no lots to count", "盘点单上没有需要盘点的批号"),
        ("lot {} of {} is not on the count sheet", "{2} 的批号 {1} 不在盘点单上"),
        ("lot {} of {} is entered twice", "{2} 的批号 {1} 重复录入"),
        ("the counts are refused: {}", "盘点数被拒绝：{1}"),
        ("a count is approved by a second person, not by the one who opened it", "盘点须由开单人以外的另一人审核"),
        ("no location {} at {}", "{2} 没有库位 {1}"),
        ("the transfer was not recorded", "调拨单未能保存"),
        ("the count sheet was not recorded", "盘点单未能保存"),
        ("no stock transfer {}", "没有调拨单 {1}"),
        ("no stock count {}", "没有盘点单 {1}"),
        ("the transfer is dispatched by its sender's pharmacist or the supply centre", "调拨单由调出单位的药师或药品供应中心发出"),
        ("the transfer is received by its receiver's pharmacist or the supply centre", "调拨单由调入单位的药师或药品供应中心收货"),
        ("the transfer is cancelled by its sender's pharmacist or the supply centre", "调拨单由调出单位的药师或药品供应中心取消"),
        ("stock transfer {} was moved by another request; reload it", "调拨单 {1} 已被另一请求处理，请重新读取"),
        ("stock count {} was moved by another request; reload it", "盘点单 {1} 已被另一请求处理，请重新读取"),
        ("line {} dispatched no lot {}", "第 {1} 行未发出批号 {2}"),
        ("lot {} of line {} is reported twice", "第 {2} 行的批号 {1} 重复填报"),
        ("a lot's expiry date cannot be read", "无法读取批号的有效期"),
        ("a count date cannot be read", "无法读取盘点日期"),
        (
            "a stock movement of this document and lot is already posted",
            "该单据的这一批号已记账"
        ),
        ("rejected by inspection {}", "抽检 {1} 不合格"),
        // Extended prescriptions (ExtendedPrescriptionRules, PatientLinkRules, EPrescriptionRecord).
        ("extended prescription {} is {}; it cannot be {}", "延伸处方 {1} 的状态为 {2}，不能执行该操作（{3}）"),
        (
            "extended prescription {} is {}; cancel it so its stock goes back, then void it",
            "延伸处方 {1} 的状态为 {2}；请先撤销以退回库存，再作废"
        ),
        ("a refused review says why", "审方不通过须写明理由"),
        ("a cancellation says why", "撤销须写明理由"),
        ("extended prescription {} may be collected until {}", "延伸处方 {1} 可取药至 {2}，尚未逾期"),
        ("a dispatch names the stock it leaves from", "配送须写明出库的库房"),
        ("the lots dispatched come to {}, not the {} prescribed", "配送的批号合计 {1}，与处方数量 {2} 不符"),
        ("{} is not in the consortium's catalogue in effect", "{1} 不在医联体现行用药目录内"),
        (
            "{} is in the institution's own list and stock; it is prescribed there",
            "{1} 在本机构目录内且有库存，应在本机构开具"
        ),
        ("{} is more than {} days before today ({})", "{1} 早于今天（{3}）超过 {2} 天"),
        ("must be 20 characters", "必须为 20 个字符"),
        ("must be 1 to 30 characters", "必须为 1 到 30 个字符"),
        (
            "refills must be from 0 to the maximum, and none unless refillable",
            "已续方次数须在 0 到最大续方次数之间，不可续方的处方不能续方"
        ),
        ("a renewal names its original prescription, and only a renewal", "续方须写明原处方编号，非续方不得填写"),
        ("an e-prescription has at least one line", "电子处方至少有一行药品"),
        ("the e-prescription is refused: {}", "电子处方被拒绝：{1}"),
        ("the e-prescription {} is already voided or revoked", "电子处方 {1} 已作废或已撤销"),
        ("a void says why", "作废须写明理由"),
        ("must be a pseudonym of 1 to 64 letters, digits, _ or -", "必须是由 1 到 64 个字母、数字、_ 或 - 组成的化名"),
        ("looks like an ID card number; use a pseudonym", "看起来是身份证号码，请使用化名"),
        ("the patient link is refused: {}", "患者关联被拒绝：{1}"),
        (
            "the member's pseudonym is already linked to another consortium patient",
            "该成员单位的患者化名已关联到医联体的另一位患者"
        ),
        (
            "name the patient one way: consortiumPseudonym, or institutionCode with memberPseudonym",
            "请用一种方式指明患者：consortiumPseudonym，或 institutionCode 与 memberPseudonym"
        ),
        ("no link of the member's pseudonym", "该成员单位的患者化名没有关联"),
        (
            "the dispensing institution is another member than the issuing one",
            "配送（审方）机构须为开具机构以外的成员单位"
        ),
        ("the review was not recorded", "审方结果未能记录"),
        ("the cancellation was not recorded", "撤销未能记录"),
        ("the dispatch was not recorded", "配送未能记录"),
        ("the delivery was not recorded", "送达未能记录"),
        ("the hand-over was not recorded", "取药结果未能记录"),
        ("the void was not recorded", "作废未能记录"),
        ("{} is after to ({})", "{1} 晚于结束日期（{2}）"),
        ("a report covers at most 366 days; {} to {} is longer", "报表最多覆盖 366 天；{1} 至 {2} 超出"),
        // Prescribers bound to their tokens (Principal.requireOwnPrescriber, Role.checkTokenScope).
        (
            "this token is bound to its own prescriber and does not act in another's name",
            "该令牌已绑定其处方医师，不能以其他医师的名义检查或开具处方"
        ),
        ("only a prescriber token scoped to an institution names its prescriber", "只有限定到某一机构的处方医师令牌才能绑定处方医师"),
        ("must not begin with user:, which names a person's console session", "不能以 user: 开头，该前缀专用于控制台用户的会话"),
        ("too many logins at once; try again in a moment", "同时登录的请求过多，请稍后再试"),
        // Shortages (ShortageRules, ShortageListMembership, ShortageSettings, RedistributionPlan).
        ("the setting {} must be at least {}, not {}", "设置 {1} 不能小于 {2}，而不是 {3}"),
        (
            "the setting shortage_surplus_days ({}) must be more than shortage_low_stock_days ({})",
            "设置 shortage_surplus_days（{1}）必须大于 shortage_low_stock_days（{2}）"
        ),
        ("a provincial list names its province", "省级清单须写明省份"),
        ("only a provincial list names a province", "只有省级清单才写明省份"),
        ("must be after the date the drug joined the list", "必须晚于药品列入清单的日期"),
        ("the list membership is refused: {}", "清单收录信息被拒绝：{1}"),
        ("a shortage of {} is already open ({})", "药品 {1} 已有未关闭的短缺记录（{2}）"),
        ("stock is not back above the threshold everywhere: {}", "库存尚未在各处恢复到阈值以上：{1}"),
        ("closing without recovery says why", "未恢复供应而关闭须写明原因"),
        ("the shortage cannot be closed: {}", "短缺记录不能关闭：{1}"),
        ("the cause other needs a note saying what it is", "原因为“其他”时须写明具体原因"),
        ("a shortage that is {} cannot be {}", "状态为 {1} 的短缺记录不能执行该操作（{2}）"),
        ("a shortage that is {} cannot be reopened", "状态为 {1} 的短缺记录不能重新打开"),
        ("the shortage of {} is already escalated", "药品 {1} 的短缺已经上报"),
        (
            "the shortage closed {} days ago, more than the {} within which it reopens; a new one opens",
            "该短缺记录已关闭 {1} 天，超过可重新打开的 {2} 天；应新建短缺记录"
        ),
        ("an action says why", "应对措施须写明原因"),
        ("a redistribution accepts at least one proposal", "调剂至少采纳一条调剂建议"),
        ("a drug does not substitute for itself", "药品不能替代其自身"),
        ("{} is not an alternative in the catalogue with stock on hand", "{1} 不是目录内有库存的替代药品"),
        ("a substitution names the substitute", "替代须写明替代药品"),
        ("a substitute is signed off by a pharmacist", "替代药品须经药师签字确认"),
        ("an emergency purchase names its supplier", "应急采购须写明供应商"),
        ("must not be in the past", "不能早于今天"),
        ("the action is refused: {}", "应对措施被拒绝：{1}"),
        // Shortages: the response (ShortageActionUseCases, ShortageResponse).
        ("no shortage {}", "没有短缺记录 {1}"),
        ("the proposal was not recorded", "调剂建议未能记录"),
        ("the action was not recorded", "应对措施未能记录"),
        ("another shortage of this drug is open", "该药品已有另一条未关闭的短缺记录"),
        ("no shortage proposal {}", "没有调剂建议 {1}"),
        ("no shortage action {}", "没有应对措施 {1}"),
        ("no proposal {} of shortage {}", "短缺记录 {2} 没有调剂建议 {1}"),
        ("proposal {} is {}, no longer proposed", "调剂建议 {1} 的状态为 {2}，已不能再处理"),
        ("proposal {} was decided by another request; reload it", "调剂建议 {1} 已被其他请求处理，请重新加载"),
        ("a rejection says why", "拒绝调剂建议须写明原因"),
        ("no live token of the consortium by that id", "本医联体没有该编号的有效令牌"),
        (
            "a shortage is followed by the supply centre (consortium admin or procurement officer)",
            "短缺记录由配送中心跟进（医联体管理员或采购员）"
        ),
        (
            "a substitute is chosen by the supply centre and signed off by a pharmacist",
            "替代药品由配送中心选定并经药师签字确认"
        ),
        ("an action on a shortage is taken with an API token", "短缺应对措施须使用 API 令牌执行"),
    ]

    /// Shortages, issue 22 part A: supplier reports (SupplierReportRules) and the scan.
    static let shortageScan: [(english: String, chinese: String)] = [
        ("{} already has a standing report of this drug; resume it first", "{1} 已报告该药品断供且尚未恢复，请先登记恢复供应"),
        ("must not be after today ({})", "不能晚于今天（{1}）"),
        ("must not be before the report's date", "不能早于报告日期"),
        ("the supplier report is refused: {}", "供应商断供报告被拒绝：{1}"),
        ("the report has already resumed on {}", "该报告已于 {1} 恢复供应"),
        ("must be after the report's date ({})", "必须晚于报告日期（{1}）"),
        ("the shortage of {} changed during the scan; scan again", "药品 {1} 的短缺记录在扫描期间被修改，请重新扫描"),
        ("no shortage {}", "没有短缺记录 {1}"),
        ("no supplier report {}", "没有供应商断供报告 {1}"),
        ("is not a cursor this feed gave", "不是本订阅返回的游标"),
        ("must be from 1 to 500", "必须在 1 到 500 之间"),
        ("must be national_shortage, key_monitoring or provincial", "必须是 national_shortage、key_monitoring 或 provincial"),
    ]

    /// The drug code crosswalk, issue 24 (DrugCode, CrosswalkRules, CrosswalkUseCases).
    static let crosswalk: [(english: String, chinese: String)] = [
        (
            "'{}' is not an insurance drug code (X or Z and 22 letters and digits, the last 9 digits; Z and 19, or T and 9)",
            "“{1}”不是医保药品代码（X 或 Z 加 22 位字母数字且末 9 位为数字；或 Z 加 19 位；或 T 加 9 位数字）"
        ),
        ("'{}' is not a 药品本位码 of 14 digits", "“{1}”不是 14 位数字的药品本位码"),
        ("'{}' does not start with 869 (86 China, 9 drugs)", "“{1}”不以 869 开头（86 为国别码，9 为药品类别码）"),
        ("'{}' has the check digit {}, expected {}", "“{1}”的校验码为 {2}，应为 {3}"),
        ("'{}' is not an approval number 国药准字 + a letter + 8 digits", "“{1}”不是批准文号（国药准字 + 1 个字母 + 8 位数字）"),
        ("'{}' is not a traceability-code prefix of 7 digits", "“{1}”不是 7 位数字的药品标识码（追溯码前缀）"),
        ("'{}' is not a code of 1 to 40 characters without spaces", "“{1}”不是 1 到 40 个字符且不含空格的编码"),
        ("is required for an approval number", "批准文号须同时给出规格"),
        ("is given only with an approval number", "只有批准文号需要给出规格"),
        ("'{}' is not a decimal like 28 or 0.5", "“{1}”不是 28 或 0.5 这样的数"),
        ("must be at most 1000000", "不能大于 1000000"),
        ("must not be before validFrom ({})", "不能早于 validFrom（{1}）"),
        ("must not be before {}", "不能早于 {1}"),
        ("the code is already mapped on these dates by line {}", "该编码在这些日期内已由第 {1} 行对照"),
        ("the code is already mapped by mapping {} from {} with no end", "该编码已有对照 {1}，自 {2} 起，未设截止日期"),
        ("the code is already mapped by mapping {} from {} to {}", "该编码已有对照 {1}，自 {2} 至 {3}"),
        ("the file is not {} text (a GBK file needs --encoding gbk)", "文件不是 {1} 文本（GBK 文件须加 --encoding gbk）"),
        ("the code is already mapped on some of these dates", "该编码在其中某些日期内已有对照"),
        ("no crosswalk mapping {}", "没有编码对照 {1}"),
        (
            "a national mapping is master data: it is changed at the console, not by a consortium",
            "全国对照属于主数据，只能在控制台维护，医联体不能修改"
        ),
        ("the mapping already ends on {}; a later end would reopen it", "该对照已于 {1} 截止，更晚的截止日期会重新启用它"),
        // reconcile invoices through the crosswalk: why a line's code is unmapped_code
        ("no mapping of this {} code on this date", "该{1}编码在此日期没有对照"),
        ("an approval number needs its specification after a bar: {}|规格", "批准文号须在竖线后写明规格：{1}|规格"),
        ("mapped to {}, which has no unified price to count its order lines by", "对照到 {1}，但该药品没有统一价格，无法确定订单计量单位"),
    ]
}
