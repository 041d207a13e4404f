import Foundation

/// A physician's title (职称).
package enum PrescriberTitle: String, Sendable, Codable, CaseIterable, Comparable {
    /// 初级
    case junior
    /// 中级
    case intermediate
    /// 副高
    case associateSenior = "associate_senior"
    /// 正高
    case senior

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    package static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// An ICD-10 code or range that qualifies for long prescriptions (e.g. I10–I15 hypertensive diseases).
package struct QualifyingCondition: Sendable, Equatable, Codable {
    package var icdFrom: String
    package var icdTo: String
    package var name: String
    package var maxDays: Int?
    package var allowsAntimicrobials: Bool

    package init(icdFrom: String, icdTo: String, name: String, maxDays: Int? = nil, allowsAntimicrobials: Bool = false) {
        self.icdFrom = icdFrom
        self.icdTo = icdTo
        self.name = name
        self.maxDays = maxDays
        self.allowsAntimicrobials = allowsAntimicrobials
    }

    /// Whether a diagnosis code lies in the range; a category bound (I15) covers its subcodes (I15.9).
    package func covers(_ icd: String) -> Bool {
        let code = icd.uppercased()
        return code >= icdFrom && (code <= icdTo || code.hasPrefix(icdTo))
    }
}

/// A consortium's long-prescription rules in force from a date.
package struct LongPrescriptionRuleSet: Sendable, Equatable, Codable {
    package var effectiveFrom: BusinessDate
    package var conditions: [QualifyingCondition]
    package var maxDaysByLevel: [InstitutionLevel: Int]
    package var requiresFamilyDoctorContract: Bool
    package var maxAssessmentAgeDays: Int
    package var supplyOnHandToleranceDays: Int
    package var excludedDrugs: Set<String>

    package init(
        effectiveFrom: BusinessDate, conditions: [QualifyingCondition], maxDaysByLevel: [InstitutionLevel: Int],
        requiresFamilyDoctorContract: Bool, maxAssessmentAgeDays: Int, supplyOnHandToleranceDays: Int, excludedDrugs: Set<String>
    ) {
        self.effectiveFrom = effectiveFrom
        self.conditions = conditions
        self.maxDaysByLevel = maxDaysByLevel
        self.requiresFamilyDoctorContract = requiresFamilyDoctorContract
        self.maxAssessmentAgeDays = maxAssessmentAgeDays
        self.supplyOnHandToleranceDays = supplyOnHandToleranceDays
        self.excludedDrugs = excludedDrugs
    }

    /// A consortium may be stricter than the national rules, never looser (national: at most 12 weeks).
    package func loosenessErrors(nationalMaxDays: Int) -> [FieldError] {
        var errors: [FieldError] = []
        for (level, days) in maxDaysByLevel.sorted(by: { $0.key > $1.key }) where days > nationalMaxDays {
            errors.append(
                FieldError(
                    field: "maxDaysByLevel.\(level.rawValue)",
                    reason: "\(days) days is above the national ceiling of \(nationalMaxDays)"))
        }
        for c in conditions {
            if let days = c.maxDays, days > nationalMaxDays {
                errors.append(
                    FieldError(
                        field: "conditions.\(c.icdFrom)",
                        reason: "\(days) days is above the national ceiling of \(nationalMaxDays)"))
            }
            if c.icdFrom > c.icdTo {
                errors.append(FieldError(field: "conditions.\(c.icdFrom)", reason: "the range ends before it starts"))
            }
        }
        if conditions.isEmpty { errors.append(FieldError(field: "conditions", reason: "name at least one qualifying condition")) }
        return errors
    }
}

/// A reason of the check, with a stable code and the message in Chinese and English.
package struct EligibilityReason: Sendable, Equatable, Codable {
    package var code: String
    package var zh: String
    package var en: String
    /// Whether the reason refuses the item (else it only shortens the grant).
    package var refuses: Bool

    static func refuse(_ code: String, _ zh: String, _ en: String) -> Self { Self(code: code, zh: zh, en: en, refuses: true) }
    static func shorten(_ code: String, _ zh: String, _ en: String) -> Self { Self(code: code, zh: zh, en: en, refuses: false) }
}

/// The check a prescriber asks at the desk: may I give this patient this much of this drug, and if not, why
/// and how much? Pure: the caller gathers the facts (one query for the supply on hand).
package enum LongPrescriptionRules {
    package struct Patient: Sendable, Equatable {
        package struct Diagnosis: Sendable, Equatable {
            package var icd: String
            package var stable: Bool
            package var lastAssessedOn: BusinessDate?
            package init(icd: String, stable: Bool, lastAssessedOn: BusinessDate?) {
                self.icd = icd
                self.stable = stable
                self.lastAssessedOn = lastAssessedOn
            }
        }
        package var hasFamilyDoctorContract: Bool
        package var diagnoses: [Diagnosis]
        package var goodAdherence: Bool
        package init(hasFamilyDoctorContract: Bool, diagnoses: [Diagnosis], goodAdherence: Bool) {
            self.hasFamilyDoctorContract = hasFamilyDoctorContract
            self.diagnoses = diagnoses
            self.goodAdherence = goodAdherence
        }
    }

    package struct Prescriber: Sendable, Equatable {
        package var title: PrescriberTitle
        package var institutionLevel: InstitutionLevel
        package init(title: PrescriberTitle, institutionLevel: InstitutionLevel) {
            self.title = title
            self.institutionLevel = institutionLevel
        }
    }

    package struct Item: Sendable, Equatable {
        package var drug: Drug
        package var dailyDose: Decimal
        package var daysAsked: Int
        package var inCatalogue: Bool
        /// The assessment is recorded in the chart, and the patient confirmed (needed above the standard days, 4 weeks).
        package var assessmentRecorded: Bool
        package var patientConfirmed: Bool
        /// The last day of supply the patient still holds of this drug from an earlier long prescription.
        package var supplyOnHandUntil: BusinessDate?
        /// No earlier long prescription of this drug is active: a first (or a restart after a stop).
        package var isFirst: Bool
        package init(
            drug: Drug, dailyDose: Decimal, daysAsked: Int, inCatalogue: Bool, assessmentRecorded: Bool,
            patientConfirmed: Bool, supplyOnHandUntil: BusinessDate?, isFirst: Bool
        ) {
            self.drug = drug
            self.dailyDose = dailyDose
            self.daysAsked = daysAsked
            self.inCatalogue = inCatalogue
            self.assessmentRecorded = assessmentRecorded
            self.patientConfirmed = patientConfirmed
            self.supplyOnHandUntil = supplyOnHandUntil
            self.isFirst = isFirst
        }
    }

    package struct Answer: Sendable, Equatable {
        package var drugCode: String
        package var eligible: Bool
        package var daysAsked: Int
        package var maxDays: Int
        /// The quantity of the drug's unit that the allowed days correspond to.
        package var quantity: Decimal
        package var reasons: [EligibilityReason]
    }

    package enum Decision: String, Sendable, Codable {
        case approved, shortened, refused
    }

    package static func decision(_ answers: [Answer]) -> Decision {
        if answers.contains(where: { !$0.eligible }) { return .refused }
        return answers.contains(where: { $0.maxDays < $0.daysAsked }) ? .shortened : .approved
    }

    /// National numbers, kept as settings: the ceiling (12 weeks) and the standard supply (4 weeks) above which
    /// the assessment must be recorded and the patient confirm.
    package struct National: Sendable, Equatable {
        package var maxDays: Int
        package var standardDays: Int
        package init(maxDays: Int, standardDays: Int) {
            self.maxDays = maxDays
            self.standardDays = standardDays
        }
    }

    package static func check(
        item: Item, patient: Patient, prescriber: Prescriber, rules: LongPrescriptionRuleSet, national: National,
        today: BusinessDate
    ) -> Answer {
        var reasons: [EligibilityReason] = []
        let drug = item.drug
        let qualifying = rules.conditions.filter { c in patient.diagnoses.contains { c.covers($0.icd) } }
        let relevant = patient.diagnoses.filter { d in rules.conditions.contains { $0.covers(d.icd) } }

        switch drug.controlClass {
        case .none: break
        default:
            reasons.append(
                .refuse(
                    "CONTROLLED_DRUG", "特殊管理药品（\(drug.controlClass.rawValue)）不得开具长期处方",
                    "\(drug.controlClass.rawValue) drugs are excluded from long prescriptions"))
        }
        if drug.antimicrobial && !qualifying.contains(where: \.allowsAntimicrobials) {
            reasons.append(
                .refuse(
                    "ANTIMICROBIAL", "抗菌药物不得开具长期处方（结核等慢性感染除外）",
                    "antimicrobials are excluded, except for chronic infections such as tuberculosis"))
        }
        if drug.coldChain {
            reasons.append(
                .refuse("SPECIAL_STORAGE", "有特殊储存要求的药品不得开具长期处方", "drugs with special storage requirements are excluded"))
        }
        if rules.excludedDrugs.contains(drug.code) {
            reasons.append(.refuse("EXCLUDED_BY_RULE", "本医联体长处方规则排除该药品", "the consortium's rules exclude this drug"))
        }
        if !item.inCatalogue {
            reasons.append(
                .refuse("NOT_IN_CATALOGUE", "该药品不在本机构现行用药目录内", "not in the prescribing institution's catalogue in effect"))
        }
        if qualifying.isEmpty {
            reasons.append(
                .refuse("CONDITION_NOT_ELIGIBLE", "患者诊断不属于长处方适用的慢性病", "no diagnosis is a qualifying chronic condition"))
        }
        if relevant.contains(where: { !$0.stable }) {
            reasons.append(.refuse("NOT_STABLE", "病情不稳定", "the condition is not stable"))
        }
        if !patient.goodAdherence {
            reasons.append(.refuse("POOR_ADHERENCE", "用药依从性不佳", "adherence is not good"))
        }
        if relevant.contains(where: { $0.lastAssessedOn.map { $0.days(to: today) > rules.maxAssessmentAgeDays } ?? true }) {
            reasons.append(
                .refuse(
                    "ASSESSMENT_TOO_OLD", "最近一次病情评估超过 \(rules.maxAssessmentAgeDays) 天，需重新评估",
                    "the last assessment is older than \(rules.maxAssessmentAgeDays) days (or none is recorded): assess again"))
        }
        if rules.requiresFamilyDoctorContract && !patient.hasFamilyDoctorContract {
            reasons.append(.refuse("NO_FAMILY_DOCTOR_CONTRACT", "患者未与家庭医生签约", "the patient has no family-doctor contract"))
        }
        if item.isFirst && (prescriber.title < .intermediate || prescriber.institutionLevel == .village) {
            reasons.append(
                .refuse(
                    "PRESCRIBER_NOT_QUALIFIED", "首次长期处方须由具有中级以上职称的医师在二级及以上医院或基层医疗机构开具",
                    "a first long prescription needs a physician of intermediate title or above, at a secondary or higher hospital or a primary institution"
                ))
        }
        if let until = item.supplyOnHandUntil, today.days(to: until) > rules.supplyOnHandToleranceDays {
            reasons.append(
                .refuse(
                    "SUPPLY_ON_HAND", "患者仍持有该药品至 \(until)，超过 \(rules.supplyOnHandToleranceDays) 天容差",
                    "the patient still holds supply until \(until), beyond the \(rules.supplyOnHandToleranceDays)-day tolerance"))
        }

        // How many days: the national ceiling, the level's and the best qualifying condition's, never more.
        var maxDays = national.maxDays
        if let level = rules.maxDaysByLevel[prescriber.institutionLevel] { maxDays = min(maxDays, level) }
        if let conditionMax = qualifying.map({ $0.maxDays ?? national.maxDays }).max() { maxDays = min(maxDays, conditionMax) }
        if maxDays > national.standardDays && !(item.assessmentRecorded && item.patientConfirmed) {
            maxDays = national.standardDays
            if item.daysAsked > national.standardDays {
                reasons.append(
                    .shorten(
                        "NEEDS_PATIENT_CONFIRMATION", "超过 \(national.standardDays) 天须在病历中记录评估并经患者签字确认",
                        "more than \(national.standardDays) days needs the assessment recorded and the patient's confirmation"))
            }
        }
        if item.daysAsked > maxDays {
            reasons.append(
                .shorten(
                    "EXCEEDS_MAX_DAYS", "申请 \(item.daysAsked) 天，最多可开 \(maxDays) 天",
                    "\(item.daysAsked) days asked, at most \(maxDays) allowed"))
        }
        let eligible = !reasons.contains(where: \.refuses) && maxDays > 0
        let granted = eligible ? min(item.daysAsked, maxDays) : 0
        return Answer(
            drugCode: drug.code, eligible: eligible, daysAsked: item.daysAsked, maxDays: eligible ? maxDays : 0,
            quantity: item.dailyDose * Decimal(granted), reasons: reasons)
    }
}
