internal import Foundation
internal import OpenAPIRuntime
import RxDomain
import RxStore

/// Generated enums and domain enums share their raw values; this converts between them.
func convert<From: RawRepresentable, To: RawRepresentable>(_ value: From, to: To.Type = To.self) throws -> To
where From.RawValue == String, To.RawValue == String {
    guard let converted = To(rawValue: value.rawValue) else {
        throw DomainError.badRequest("'\(value.rawValue)' is not a known \(To.self)")
    }
    return converted
}

func convert<From: RawRepresentable, To: RawRepresentable>(_ value: From?, to: To.Type = To.self) throws -> To?
where From.RawValue == String, To.RawValue == String {
    try value.map { try convert($0) }
}

extension PageRequest {
    init(_ limit: Int?, _ cursor: String?) throws { try self.init(limit: limit, cursor: cursor) }
}

extension Components.Schemas.Consortium {
    init(_ c: Consortium) throws {
        self.init(code: c.code, name: c.name, kind: try convert(c.kind), leadInstitutionCode: c.leadInstitutionCode)
    }
}

extension Components.Schemas.Institution {
    init(_ i: Institution) throws {
        self.init(
            code: i.code, name: i.name, level: try convert(i.level), _type: try convert(i.type),
            consortiumCode: i.consortiumCode, hasTestingLab: i.hasTestingLab, isLead: i.isLead)
    }
}

extension Components.Schemas.Supplier {
    init(_ s: Supplier) {
        self.init(
            code: s.code, name: s.name, isManufacturer: s.isManufacturer, isDistributor: s.isDistributor,
            manufacturingLicence: s.manufacturingLicence, distributionLicence: s.distributionLicence,
            countsAsManufacturerCode: s.countsAsManufacturerCode)
    }

    var domain: Supplier {
        Supplier(
            code: code, name: name, isManufacturer: isManufacturer, isDistributor: isDistributor,
            manufacturingLicence: manufacturingLicence, distributionLicence: distributionLicence,
            countsAsManufacturerCode: countsAsManufacturerCode)
    }
}

extension Components.Schemas.Drug {
    init(_ d: Drug) throws {
        self.init(
            code: d.code, genericName: d.genericName, nameEn: d.nameEn, dosageForm: d.dosageForm, strength: d.strength,
            packageSize: d.packageSize, packageUnit: d.packageUnit, unit: d.unit, manufacturer: d.manufacturer,
            atcCode: d.atcCode, category: try convert(d.category), essentialEditions: d.essentialEditions,
            insuranceClass: try convert(d.insuranceClass), controlClass: try convert(d.controlClass),
            antimicrobial: d.antimicrobial, coldChain: d.coldChain,
            decoctionPiece: try d.decoctionPiece.map {
                .init(herbName: $0.herbName, processing: try convert($0.processing), grade: $0.grade)
            })
    }

    func domain() throws -> Drug {
        Drug(
            code: code, genericName: genericName, nameEn: nameEn, dosageForm: dosageForm, strength: strength,
            packageSize: packageSize, packageUnit: packageUnit, unit: unit, manufacturer: manufacturer, atcCode: atcCode,
            category: try convert(category), essentialEditions: essentialEditions,
            insuranceClass: try convert(insuranceClass), controlClass: try convert(controlClass),
            antimicrobial: antimicrobial, coldChain: coldChain,
            decoctionPiece: try decoctionPiece.map {
                DecoctionPiece(herbName: $0.herbName, processing: try convert($0.processing), grade: $0.grade)
            })
    }
}

extension Components.Schemas.AuditEntry {
    init(_ e: AuditEntry) throws {
        func object(_ json: String?) throws -> OpenAPIRuntime.OpenAPIObjectContainer? {
            guard let json else { return nil }
            return try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(json.utf8))
        }
        self.init(
            id: e.id, occurredAt: e.occurredAt, actor: e.actor, actorRole: e.actorRole, action: e.action,
            entityType: e.entityType, entityKey: e.entityKey,
            nationalMasterData: NationalMasterData.auditEntityTypes.contains(e.entityType),
            before: try object(e.before).map { .init(additionalProperties: $0) },
            after: try object(e.after).map { .init(additionalProperties: $0) })
    }
}
