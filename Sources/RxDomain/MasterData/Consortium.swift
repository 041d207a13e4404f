/// The kinds of consortium (医联体) the national measures name.
package enum ConsortiumKind: String, CaseIterable, Sendable, Codable {
    /// 城市医疗集团
    case cityMedicalGroup = "city_medical_group"
    /// 县域医共体
    case countyMedicalCommunity = "county_medical_community"
    /// 专科联盟
    case specialtyAlliance = "specialty_alliance"
    /// 中医区域医联体
    case tcmRegionalConsortium = "tcm_regional_consortium"
    /// 远程医疗协作网
    case telemedicineNetwork = "telemedicine_network"
}

package struct Consortium: Sendable, Equatable, Codable {
    package var id: Int64
    package var code: String
    package var name: String
    package var kind: ConsortiumKind
    /// The lead institution (牵头医院), usually tertiary.
    package var leadInstitutionCode: String?

    package init(id: Int64, code: String, name: String, kind: ConsortiumKind, leadInstitutionCode: String?) {
        self.id = id
        self.code = code
        self.name = name
        self.kind = kind
        self.leadInstitutionCode = leadInstitutionCode
    }
}

/// Institution levels: tertiary 三级, secondary 二级, primary 一级 (community and township centres), village 村卫生室.
package enum InstitutionLevel: String, CaseIterable, Sendable, Codable, Comparable {
    case tertiary, secondary, primary, village

    /// Higher levels first.
    package var rank: Int {
        switch self {
        case .tertiary: 3
        case .secondary: 2
        case .primary: 1
        case .village: 0
        }
    }

    package static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

package enum InstitutionType: String, CaseIterable, Sendable, Codable {
    case general
    /// 中医医院
    case tcm
    /// 中西医结合医院
    case integratedTCMWestern = "integrated_tcm_western"
    /// 妇幼保健院
    case maternalChild = "maternal_child"
    case specialty
    /// 社区卫生服务中心
    case communityHealthCentre = "community_health_centre"
    /// 乡镇卫生院
    case townshipHospital = "township_hospital"
    /// 村卫生室
    case villageClinic = "village_clinic"

    package var isTCM: Bool { self == .tcm || self == .integratedTCMWestern }
}

package struct Institution: Sendable, Equatable, Codable {
    package var id: Int64
    package var consortiumID: Int64
    package var consortiumCode: String
    package var code: String
    package var name: String
    package var level: InstitutionLevel
    package var type: InstitutionType
    /// Has a decoction-piece identification and testing lab (中药饮片鉴别检测).
    package var hasTestingLab: Bool
    package var isLead: Bool

    package init(
        id: Int64, consortiumID: Int64, consortiumCode: String, code: String, name: String,
        level: InstitutionLevel, type: InstitutionType, hasTestingLab: Bool, isLead: Bool
    ) {
        self.id = id
        self.consortiumID = consortiumID
        self.consortiumCode = consortiumCode
        self.code = code
        self.name = name
        self.level = level
        self.type = type
        self.hasTestingLab = hasTestingLab
        self.isLead = isLead
    }
}

/// The rules of consortia and their members.
package enum ConsortiumRules {
    /// An institution named as a consortium's lead (牵头医院): its id and the consortium it belongs to.
    package struct LeadCandidate: Sendable, Equatable {
        package var id: Int64
        package var consortiumID: Int64

        package init(id: Int64, consortiumID: Int64) {
            self.id = id
            self.consortiumID = consortiumID
        }
    }

    /// The lead must be a member of the consortium (422 naming `leadInstitutionCode` otherwise); the id to record,
    /// nil when the change names none.
    package static func leadInstitutionID(
        _ candidate: LeadCandidate?, code: String?, of consortium: Consortium
    ) throws(DomainError) -> Int64? {
        guard let code else { return nil }
        guard let candidate, candidate.consortiumID == consortium.id else {
            throw .invalid("leadInstitutionCode", "\(code) is not a member of \(consortium.code)")
        }
        return candidate.id
    }

    /// A new institution's code has the shape of a code (422 naming `code` otherwise).
    package static func checkNewInstitutionCode(_ code: String) throws(DomainError) {
        if let e = Codes.institutionCodeError(code) { throw .invalid("code", e) }
    }
}
