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

    /// The quorum a catalogue version needs, in words.
    package func quorum(_ quorum: Quorum) -> String {
        switch quorum {
        case .simpleMajority: word("quorum_simple_majority")
        case .twoThirds: word("quorum_two_thirds")
        case .all: word("quorum_all")
        case .count(let n): word("quorum_count").replacingFirst(String(n))
        }
    }
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
        "draft_proposed": "第 {} 版已提交成员单位审议，{} 项。", "open_draft": "开始新一版草案",
        "add_item": "添加或修改品种", "drug_code": "药品编码", "go": "继续", "items_title": "品种",
        "filter_items": "在本版中查找", "note": "备注", "justification": "遴选理由",
        "justification_needed": "该药品既非国家基本药物也非医保药品，须填写遴选理由。",
        "levels_hint": "不勾选表示各级机构均可使用。", "edit": "修改", "save_item": "保存品种", "remove_item": "移出目录",
        "removal_reason": "移出原因", "propose": "提交成员单位审议", "reopen": "退回修改", "publish": "发布",
        "standing_title": "审议情况", "standing_lead_yes": "牵头单位 {} 已同意。", "standing_lead_no": "牵头单位 {} 尚未同意。",
        "standing_quorum": "成员单位已同意 {} 家，需 {} 家（{}）。", "standing_no_objections": "没有未处理的异议。",
        "standing_objections": "有异议：{}。", "standing_ready": "已满足发布条件。", "standing_not_ready": "尚不满足发布条件。",
        "decisions_caption": "各成员单位意见", "institution": "机构", "decision": "意见", "comment": "说明",
        "recorded_at": "时间", "lead_mark": "（牵头）", "decision_endorse": "同意", "decision_object": "异议",
        "decision_none": "未表态", "endorse": "同意", "object": "提出异议", "your_decision": "本机构意见",
        "send_decision": "提交意见", "version_draft": "草案", "version_proposed": "审议中", "version_published": "已发布",
        "versions_title": "目录版本", "version_title": "第 {} 版目录", "version_title_short": "目录版本", "version": "版本",
        "based_on": "基于版本", "item_count": "品种数", "compare": "比较", "diff_from": "原版本", "diff_to": "新版本",
        "diff_title": "目录调整对照表", "diff_line": "第 {} 版对比第 {} 版", "diff_none": "还没有可以比较的版本。",
        "diff_counts": "新增 {} 项，移出 {} 项，调整 {} 项。", "diff_link": "与所基于的版本对比",
        "added": "新增", "removed": "移出", "changed": "调整", "before": "调整前", "after": "调整后",
        "report_title": "目录结构报告", "report_line": "第 {} 版，统计日期 {}", "share_by_category": "按类别",
        "essential_count": "基本药物", "essential_share": "基本药物占比", "insured_count": "医保药品", "insured_share": "医保药品占比",
        "members_title": "成员单位目录", "list_kind": "目录", "list_consortium": "使用医联体目录", "list_own": "自有目录",
        "out_of_line": "超出目录",
        "member_uses_consortium": "使用医联体第 {} 版目录（按机构级别），共 {} 种药品。",
        "member_own_list": "自有目录（在医联体第 {} 版目录之内），共 {} 种药品。",
        "member_out_of_line_title": "超出医联体目录的品种", "member_edit_title": "替换本机构目录",
        "member_drug_codes": "药品编码（每行一个）", "member_save": "保存目录",
        "nav_versions": "目录版本", "nav_draft": "目录草案", "nav_report": "目录报告", "nav_member": "本机构目录",
        "back_to_draft": "返回目录草案", "refusal_title": "未能完成：",
        "done_draft_opened": "已开始新一版草案。", "done_version_proposed": "已提交成员单位审议。",
        "done_version_reopened": "已退回修改，成员单位的意见已清空。", "done_version_published": "已发布。",
        "done_item_saved": "品种已保存。", "done_item_removed": "品种已移出。", "done_endorsed": "已记录本机构同意。",
        "done_objected": "已记录本机构异议。", "done_member_list_saved": "本机构目录已保存。",
        "quorum_simple_majority": "过半数", "quorum_two_thirds": "三分之二", "quorum_all": "全体成员",
        "quorum_count": "至少 {} 家", "error_412": "内容已被他人修改", "error_423": "账户已锁定",
        "desk_title": "长处方", "desk_who": "开方", "prescriber": "医师", "desk_patient": "患者",
        "patient_ref": "患者代码", "patient_ref_hint": "本机构为患者编的代码（字母、数字、_ 或 -），不填姓名或身份证号。",
        "family_doctor_contract": "已签约家庭医生", "good_adherence": "用药依从性好", "desk_diagnoses": "诊断",
        "icd": "ICD-10 编码", "stable": "病情稳定", "last_assessed": "最近评估日期", "desk_items": "药品",
        "daily_dose": "日剂量", "days": "天数", "assessment_recorded": "已记录评估", "patient_confirmed": "患者已签字确认",
        "run_check": "审核", "check_result": "审核结果", "eligible": "可开长处方", "days_asked": "申请天数",
        "days_granted": "准予天数", "quantity": "数量", "reasons": "原因", "issue": "开具",
        "max_fills": "最多取药次数", "min_days_between_fills": "两次取药最少间隔（天）", "validity_days": "有效期（天）",
        "decision_approved": "同意", "decision_shortened": "同意（天数缩短）", "decision_refused": "不同意",
        "eligible_yes": "是", "eligible_no": "否", "patient_title": "患者的长处方", "patient_caption": "本医联体各成员单位的长处方",
        "prescription_no": "处方号", "start_date": "开始日期", "fills": "取药次数", "dispensed": "已发 / 处方量",
        "end_prescription": "终止", "end_reason": "终止原因", "lrx_active": "有效", "lrx_ended": "已终止",
        "end_targets_not_met": "控制目标未达到", "end_new_disease": "出现新的疾病", "end_admitted": "住院",
        "end_other": "其他", "nav_desk": "长处方", "done_issued": "长处方已开具。", "done_ended": "长处方已终止。",
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
        "draft_proposed": "Version {} is with the members, {} items.", "open_draft": "Open a new draft",
        "add_item": "Add or change an item", "drug_code": "drug code", "go": "Continue", "items_title": "Items",
        "filter_items": "Find in this version", "note": "Note", "justification": "Justification",
        "justification_needed":
            "This drug is neither a national essential medicine nor insurance-listed: give a written justification.",
        "levels_hint": "None ticked: every level may use it.", "edit": "Edit", "save_item": "Save the item",
        "remove_item": "Remove from the draft", "removal_reason": "Why it is removed", "propose": "Put to the members",
        "reopen": "Take back for changes", "publish": "Publish", "standing_title": "Where it stands",
        "standing_lead_yes": "The lead, {}, endorsed it.", "standing_lead_no": "The lead, {}, has not endorsed it.",
        "standing_quorum": "{} member endorsements of the {} needed ({}).",
        "standing_no_objections": "No objection is open.", "standing_objections": "Objections from {}.",
        "standing_ready": "Ready to publish.", "standing_not_ready": "Not ready to publish yet.",
        "decisions_caption": "Each member's decision", "institution": "Institution", "decision": "Decision",
        "comment": "Comment", "recorded_at": "Recorded", "lead_mark": " (lead)", "decision_endorse": "Endorsed",
        "decision_object": "Objected", "decision_none": "Not yet", "endorse": "Endorse", "object": "Object",
        "your_decision": "Your institution's decision", "send_decision": "Send", "version_draft": "Draft",
        "version_proposed": "With the members", "version_published": "Published", "versions_title": "Catalogue versions",
        "version_title": "Catalogue version {}", "version_title_short": "Catalogue version", "version": "Version",
        "based_on": "Based on", "item_count": "Items", "compare": "Compare", "diff_from": "From", "diff_to": "To",
        "diff_title": "Catalogue changes", "diff_line": "Version {} against version {}",
        "diff_none": "There are no versions to compare yet.", "diff_counts": "{} added, {} removed, {} changed.",
        "diff_link": "Compare with the version it is based on", "added": "Added", "removed": "Removed",
        "changed": "Changed", "before": "Before", "after": "After", "report_title": "Catalogue share report",
        "report_line": "Version {}, on {}", "share_by_category": "By category", "essential_count": "Essential",
        "essential_share": "Essential share", "insured_count": "Insured", "insured_share": "Insured share",
        "members_title": "Members' lists", "list_kind": "List", "list_consortium": "The consortium's", "list_own": "Its own",
        "out_of_line": "Out of line",
        "member_uses_consortium": "Uses the consortium catalogue (version {}) as its level allows: {} drugs.",
        "member_own_list": "Its own list (inside consortium version {}): {} drugs.",
        "member_out_of_line_title": "Items out of line", "member_edit_title": "Replace the institution's list",
        "member_drug_codes": "Drug codes (one per line)", "member_save": "Save the list", "nav_versions": "Versions",
        "nav_draft": "Draft", "nav_report": "Report", "nav_member": "Our list", "back_to_draft": "Back to the draft",
        "refusal_title": "Not done:", "done_draft_opened": "A new draft is open.",
        "done_version_proposed": "Put to the members.",
        "done_version_reopened": "Taken back for changes; the members' decisions were cleared.",
        "done_version_published": "Published.", "done_item_saved": "The item is saved.",
        "done_item_removed": "The item is removed.", "done_endorsed": "Your endorsement is recorded.",
        "done_objected": "Your objection is recorded.", "done_member_list_saved": "The list is saved.",
        "quorum_simple_majority": "a simple majority", "quorum_two_thirds": "two thirds", "quorum_all": "every member",
        "quorum_count": "at least {}", "error_412": "Changed by someone else", "error_423": "Locked",
        "desk_title": "Long prescriptions", "desk_who": "Prescribing", "prescriber": "Prescriber",
        "desk_patient": "Patient", "patient_ref": "Patient code",
        "patient_ref_hint": "The institution's code for the patient (letters, digits, _ or -), never a name or an ID number.",
        "family_doctor_contract": "Has a family-doctor contract", "good_adherence": "Takes the medicine as prescribed",
        "desk_diagnoses": "Diagnoses", "icd": "ICD-10 code", "stable": "Stable", "last_assessed": "Last assessed",
        "desk_items": "Drugs", "daily_dose": "Daily dose", "days": "Days", "assessment_recorded": "Assessment recorded",
        "patient_confirmed": "Patient confirmed", "run_check": "Check", "check_result": "Decision",
        "eligible": "Long prescription", "days_asked": "Days asked", "days_granted": "Days granted",
        "quantity": "Quantity", "reasons": "Reasons", "issue": "Issue", "max_fills": "Fills at most",
        "min_days_between_fills": "Days between fills at least", "validity_days": "Valid for (days)",
        "decision_approved": "Approved", "decision_shortened": "Approved for fewer days", "decision_refused": "Refused",
        "eligible_yes": "Yes", "eligible_no": "No", "patient_title": "A patient's long prescriptions",
        "patient_caption": "Long prescriptions at every member of the consortium", "prescription_no": "No.",
        "start_date": "Start", "fills": "Fills", "dispensed": "Dispensed / prescribed", "end_prescription": "End",
        "end_reason": "Why", "lrx_active": "Active", "lrx_ended": "Ended", "end_targets_not_met": "Targets not met",
        "end_new_disease": "A new disease", "end_admitted": "Admitted to hospital", "end_other": "Other",
        "nav_desk": "Long prescriptions", "done_issued": "The long prescription is issued.",
        "done_ended": "The long prescription is ended.",
    ]
}
