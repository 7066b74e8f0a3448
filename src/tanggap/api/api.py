from ninja import NinjaAPI

api = NinjaAPI(title="Tanggap API", version="1")
