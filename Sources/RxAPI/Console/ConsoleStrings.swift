import RxDomain

/// The console's words in its two languages: Chinese by default, English by the switch (cookie `crx_lang`).
package enum ConsoleLanguage: String, Sendable, CaseIterable {
    case chinese = "zh-CN"
    case english = "en"

    package var other: ConsoleLanguage { self == .chinese ? .english : .chinese }

    /// The page's words, by key (`{{t.key}}` in a template).
    package var words: [String: String] { self == .chinese ? ConsoleStrings.chinese : ConsoleStrings.english }

    package func word(_ key: String) -> String { words[key] ?? key }

    /// A refusal's message as the person reads it: the catalogue's Chinese (`ChineseMessages`), else as raised.
    package func message(_ english: String) -> String {
        guard self == .chinese else { return english }
        return ChineseMessages.translateFieldMessage(english) ?? ChineseMessages.translate(english) ?? english
    }

    package func role(_ role: Role) -> String { word("role_" + role.rawValue) }
    package func category(_ category: DrugCategory) -> String { word("category_" + category.rawValue) }
    package func level(_ level: InstitutionLevel) -> String { word("level_" + level.rawValue) }
    package func insurance(_ insurance: InsuranceClass) -> String { word("insurance_" + insurance.rawValue) }
}

enum ConsoleStrings {
    static let chinese: [String: String] = [
        "app": "医联体药事管理", "skip": "跳到正文", "nav": "主导航", "search": "搜索", "search_label": "搜索药品",
        "search_placeholder": "编码、药名或拼音首字母", "logout": "退出登录", "other_lang": "English",
        "login_title": "登录", "user_name": "用户名", "password": "密码", "login": "登录",
        "login_refused": "用户名或密码错误。", "login_locked": "账户已锁定，请于 {} 后再试，或请管理员重置密码。",
        "home_title": "首页", "todo_title": "待办事项", "todo_none": "暂无待办事项。",
        "nav_home": "首页", "nav_catalogue": "目录", "nav_drugs": "药品",
        "drugs_title": "药品", "drugs_caption": "药品检索结果", "none_found": "没有找到。", "next_page": "下一页",
        "code": "编码", "generic_name": "通用名", "name_en": "英文名", "dosage_form": "剂型", "strength": "规格",
        "manufacturer": "生产企业", "category": "类别", "insurance_class": "医保类别", "essential": "国家基本药物",
        "price_in_effect": "现行统一价格", "price_history": "价格历史", "unit_price": "单价", "source": "来源",
        "status": "状态", "effective_from": "执行起始", "effective_to": "执行截止", "no_prices": "暂无价格。",
        "catalogue_title": "基本用药目录", "level": "适用机构级别", "levels": "适用级别", "filter": "筛选", "all": "全部",
        "yes": "是", "no": "否", "catalogue_version": "第 {} 版，{} 起执行", "catalogue_none": "尚无执行中的目录版本。",
        "catalogue_count": "共 {} 项", "draft_title": "目录草案", "draft_open": "第 {} 版草案，{} 项。",
        "draft_none": "目前没有草案。", "back_home": "返回首页",
        "error_400": "请求有误", "error_401": "需要登录", "error_403": "无权访问", "error_404": "未找到",
        "error_409": "冲突", "error_422": "无法处理", "error_503": "服务暂不可用", "error_500": "服务器错误",
        "csrf_refused": "表单已过期或来源不明，请返回重新提交。",
        "todo_catalogue_to_endorse": "待表态的目录版本", "todo_catalogue_objections": "待答复的异议",
        "todo_catalogue_drafts": "编辑中的目录草案", "todo_orders_draft": "未提交的采购订单",
        "todo_orders_to_receive": "待收货的订单",
        "role_consortium_admin": "医联体药学中心", "role_institution_pharmacist": "药师",
        "role_procurement_officer": "采购员", "role_prescriber": "医师", "role_regulator": "监管部门",
        "role_auditor": "审计", "role_finance": "财务", "role_master_data_admin": "全国主数据管理员",
        "category_western": "化学药品", "category_chinese_patent": "中成药", "category_decoction_piece": "中药饮片",
        "category_hospital_preparation": "医疗机构制剂",
        "level_tertiary": "三级", "level_secondary": "二级", "level_primary": "基层", "level_village": "村卫生室",
        "insurance_A": "甲类", "insurance_B": "乙类", "insurance_none": "非医保",
        "every_level": "各级",
        "source_provincial_bid": "省级中标价", "source_consortium_negotiated": "医联体议价", "source_joint_procurement": "联合带量采购",
        "agreement_agreed": "已议定待报备", "agreement_in_effect": "执行中", "agreement_superseded": "已被替代",
    ]

    static let english: [String: String] = [
        "app": "Consortium Pharmacy", "skip": "Skip to content", "nav": "Main", "search": "Search",
        "search_label": "Search drugs", "search_placeholder": "Code, name or pinyin initials", "logout": "Log out",
        "other_lang": "中文", "login_title": "Log in", "user_name": "User name", "password": "Password", "login": "Log in",
        "login_refused": "Wrong user name or password.",
        "login_locked": "The account is locked until {}; try again then, or ask an administrator to reset the password.",
        "home_title": "Home", "todo_title": "To do", "todo_none": "Nothing to do.",
        "nav_home": "Home", "nav_catalogue": "Catalogue", "nav_drugs": "Drugs",
        "drugs_title": "Drugs", "drugs_caption": "Drugs found", "none_found": "Nothing found.", "next_page": "Next page",
        "code": "Code", "generic_name": "Generic name", "name_en": "English name", "dosage_form": "Form",
        "strength": "Strength", "manufacturer": "Manufacturer", "category": "Category", "insurance_class": "Insurance",
        "essential": "National essential", "price_in_effect": "Unified price in effect", "price_history": "Price history",
        "unit_price": "Unit price", "source": "Source", "status": "Status", "effective_from": "From",
        "effective_to": "To", "no_prices": "No prices yet.", "catalogue_title": "Essential drug catalogue",
        "level": "Institution level", "levels": "Levels", "filter": "Filter", "all": "All", "yes": "Yes", "no": "No",
        "catalogue_version": "Version {}, in effect from {}", "catalogue_none": "No catalogue version is in effect.",
        "catalogue_count": "{} items", "draft_title": "Catalogue draft", "draft_open": "Draft of version {}, {} items.",
        "draft_none": "There is no draft.", "back_home": "Back to the home page",
        "error_400": "Bad request", "error_401": "Log in first", "error_403": "Not allowed", "error_404": "Not found",
        "error_409": "Conflict", "error_422": "Cannot be done", "error_503": "Unavailable", "error_500": "Server error",
        "csrf_refused": "The form has expired or did not come from this site; go back and send it again.",
        "todo_catalogue_to_endorse": "Catalogue versions to endorse or object to",
        "todo_catalogue_objections": "Objections to answer", "todo_catalogue_drafts": "Catalogue drafts open",
        "todo_orders_draft": "Orders not yet submitted", "todo_orders_to_receive": "Orders to receive",
        "role_consortium_admin": "Pharmacy centre", "role_institution_pharmacist": "Pharmacist",
        "role_procurement_officer": "Procurement officer", "role_prescriber": "Prescriber", "role_regulator": "Regulator",
        "role_auditor": "Auditor", "role_finance": "Finance", "role_master_data_admin": "National master data",
        "category_western": "Western", "category_chinese_patent": "Chinese patent medicine",
        "category_decoction_piece": "Decoction piece", "category_hospital_preparation": "Hospital preparation",
        "level_tertiary": "Tertiary", "level_secondary": "Secondary", "level_primary": "Primary", "level_village": "Village",
        "insurance_A": "Class A", "insurance_B": "Class B", "insurance_none": "Not listed", "every_level": "Every level",
        "source_provincial_bid": "Provincial winning bid", "source_consortium_negotiated": "Negotiated by the consortium",
        "source_joint_procurement": "Joint procurement", "agreement_agreed": "Agreed, to be reported",
        "agreement_in_effect": "In effect", "agreement_superseded": "Superseded",
    ]
}
